package commerce_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"smartbot/app"
	"smartbot/app/commerce"
)

// allowed is the order state machine as DESIGN.md §13 writes it, kept
// apart from app.OrderNext so the test checks the code against the
// design, not against itself.
func allowed(fulfilment, from string) []string {
	next := map[string][]string{
		"pending":          {"confirmed", "cancelled"},
		"confirmed":        {"preparing", "cancelled"},
		"preparing":        {"ready", "cancelled"},
		"out_for_delivery": {"delivered"},
	}
	if fulfilment == "pickup" {
		next["ready"] = []string{"completed", "cancelled"}
	} else {
		next["ready"] = []string{"out_for_delivery", "cancelled"}
	}
	return next[from]
}

func TestRandomStatusMovesNeverReachAnIllegalStateAndEachLegalOneEmitsOneEvent(t *testing.T) {
	sh := newShop(t)
	tea := sh.product("Tea", 100, "USD", n(1_000_000))
	ctx := context.Background()
	targets := append(slices.Clone(app.OrderStatuses), "shipped")
	events := 0
	for seed := range uint64(60) {
		for _, fulfilment := range []string{app.FulfilmentDelivery, app.FulfilmentPickup} {
			rng := rand.New(rand.NewPCG(seed, 11))
			o := sh.order(fulfilment, commerce.NewItem{ProductID: tea.ID, Quantity: 1})
			status, path := app.OrderPending, []string{app.OrderPending}
			for step := range 12 {
				// Half the time a legal move, when there is one, so that
				// runs get past the first states.
				to := targets[rng.IntN(len(targets))]
				if legal := allowed(fulfilment, status); len(legal) > 0 && rng.IntN(2) == 0 {
					to = legal[rng.IntN(len(legal))]
				}
				got, err := sh.s.ChangeStatus(ctx, o.ID, to)
				ok := slices.Contains(allowed(fulfilment, status), to)
				if ok != (err == nil) {
					t.Fatalf("seed %d %s step %d: %s → %s: err %v, legal %v", seed, fulfilment, step, status, to, err, ok)
				}
				if ok {
					status, path = to, append(path, to)
					events++
					if got.Status != to {
						t.Fatalf("seed %d: answered %s after moving to %s", seed, got.Status, to)
					}
				} else if code := app.ErrorCode(err); code != app.ECONFLICT && (to != "shipped" || code != app.EINVALID) {
					t.Fatalf("seed %d: %s → %s refused with %v", seed, status, to, err)
				}
				stored, err := sh.db.Order(ctx, o.ID)
				if err != nil {
					t.Fatal(err)
				}
				if stored.Status != status || len(stored.Timeline) != len(path) {
					t.Fatalf("seed %d %s: stored %s with %d steps, want %s after %v", seed, fulfilment, stored.Status, len(stored.Timeline), status, path)
				}
				for i, st := range stored.Timeline {
					if st.Status != path[i] {
						t.Fatalf("seed %d: timeline %+v, want %v", seed, stored.Timeline, path)
					}
				}
				if c := sh.count(`select count(*) from events where type = 'order_status_changed'`); c != events {
					t.Fatalf("seed %d %s step %d (%s → %s): %d events, want %d", seed, fulfilment, step, status, to, c, events)
				}
			}
		}
	}
	// Each event says which move it was and who made it.
	rows, err := sh.db.R.Query(`select payload from events where type = 'order_status_changed'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var raw string
		rows.Scan(&raw)
		var e struct{ Data app.OrderStatusChangedData }
		json.Unmarshal([]byte(raw), &e)
		if !slices.Contains(allowed(app.FulfilmentDelivery, e.Data.From), e.Data.To) && !slices.Contains(allowed(app.FulfilmentPickup, e.Data.From), e.Data.To) ||
			e.Data.By != "system" || e.Data.Number == "" {
			t.Errorf("event %+v", e.Data)
		}
	}
}

func TestAnIllegalMoveNamesTheAllowedOnes(t *testing.T) {
	sh := newShop(t)
	tea := sh.product("Tea", 100, "USD", nil)
	o := sh.order(app.FulfilmentPickup, commerce.NewItem{ProductID: tea.ID, Quantity: 1})
	_, err := sh.s.ChangeStatus(context.Background(), o.ID, app.OrderDelivered)
	var ae *app.Error
	if !asError(err, &ae) || ae.Code != app.ECONFLICT || ae.Message != "an order that is pending cannot become delivered; it can become confirmed or cancelled" {
		t.Errorf("err = %v", err)
	}
}

func TestTwoConcurrentOrdersForTheLastUnitReserveItOnce(t *testing.T) {
	for round := range 20 {
		sh := newShop(t)
		last := sh.product("Last loaf", 300, "USD", n(1))
		a := sh.order(app.FulfilmentPickup, commerce.NewItem{ProductID: last.ID, Quantity: 1})
		b := sh.order(app.FulfilmentPickup, commerce.NewItem{ProductID: last.ID, Quantity: 1})
		jobs := sh.jobs()
		var wg sync.WaitGroup
		errs := make([]error, len(jobs))
		for i, j := range jobs {
			wg.Go(func() { errs[i] = sh.s.ProcessOrder(context.Background(), j) })
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		ga, _ := sh.db.Order(context.Background(), a.ID)
		gb, _ := sh.db.Order(context.Background(), b.ID)
		if ga.StockReserved == gb.StockReserved {
			t.Fatalf("round %d: reserved a %v, b %v", round, ga.StockReserved, gb.StockReserved)
		}
		loser := ga
		if ga.StockReserved {
			loser = gb
		}
		if loser.Problem != "Not enough stock of Last loaf: 1 ordered, 0 left." {
			t.Errorf("round %d: the other order's problem is %q", round, loser.Problem)
		}
		if s := sh.stock(last.ID); s != 0 {
			t.Errorf("round %d: stock %d", round, s)
		}
	}
}
