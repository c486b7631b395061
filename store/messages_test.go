package store_test

import (
	"context"
	"io/fs"
	"testing"
	"testing/fstest"
	"time"

	"smartbot/app"
	"smartbot/migrations"
	"smartbot/store"
	"smartbot/store/storetest"
)

// upTo returns the embedded migrations numbered n and below.
func upTo(t *testing.T, n int) fs.FS {
	t.Helper()
	ms, err := store.Migrations(nil)
	if err != nil {
		t.Fatal(err)
	}
	out := fstest.MapFS{}
	for _, m := range ms {
		if m.Version <= n {
			b, err := fs.ReadFile(migrations.FS, m.Name)
			if err != nil {
				t.Fatal(err)
			}
			out[m.Name] = &fstest.MapFile{Data: b}
		}
	}
	return out
}

func TestMigration4KeepsCustomersOrdersAndMessagesAndTheirLinks(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(ctx, store.Options{DataDir: dir, Migrations: upTo(t, 3)})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`insert into customers (id, phone, jid, name, created_at, updated_at) values ('cus_a', '+263771234567', '263771234567@s.whatsapp.net', 'Tariro', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`,
		`insert into orders (id, number, customer_id, status, total, currency, source, created_at, updated_at) values ('ord_a', 'SB-000001', 'cus_a', 'pending', 100, 'USD', 'api', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`,
		`insert into messages (id, customer_id, direction, kind, text, status, created_at) values ('msg_a', 'cus_a', 'in', 'text', 'hi', 'received', '2026-01-01T00:00:00.000Z')`,
	} {
		if _, err := db.W.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	db = storetest.Open(t, dir)
	if v, _ := db.Version(ctx); v < 4 {
		t.Fatalf("version %d, want 4 or later", v)
	}
	c, err := db.Customer(ctx, "cus_a")
	if err != nil || c.Phone != "+263771234567" || c.Name != "Tariro" {
		t.Fatalf("customer after migrating = %+v, %v", c, err)
	}
	m, err := db.Message(ctx, "msg_a")
	if err != nil || m.Text != "hi" || m.Phone != "+263771234567" {
		t.Fatalf("message after migrating = %+v, %v", m, err)
	}
	if n := storetest.Count(t, db, `select count(*) from orders where customer_id = 'cus_a'`); n != 1 {
		t.Fatalf("%d orders of the customer, want 1", n)
	}
	if n := storetest.Count(t, db, `select count(*) from pragma_foreign_key_check`); n != 0 {
		t.Fatalf("%d foreign key violations after migrating", n)
	}
	// The rebuilt messages table takes the kinds 0001 did not list.
	if _, err := db.W.Exec(`insert into messages (id, customer_id, direction, kind, status, created_at) values ('msg_b', 'cus_a', 'in', 'unsupported', 'received', '2026-01-01T00:00:01.000Z')`); err != nil {
		t.Fatalf("an unsupported message is refused: %v", err)
	}
	// And an order still cannot point at a customer that is not there.
	if _, err := db.W.Exec(`insert into orders (id, number, customer_id, status, total, currency, source, created_at, updated_at) values ('ord_b', 'SB-000002', 'cus_none', 'pending', 1, 'USD', 'api', 'x', 'x')`); err == nil {
		t.Fatal("an order for a missing customer was stored: the foreign key did not survive the rebuild")
	}
}

func TestAPeerIsOneCustomerAndALIDRevealedLaterMergesTheTwo(t *testing.T) {
	clock := storetest.NewClock(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	db := storetest.OpenAt(t, t.TempDir(), clock.Now)
	var byPhone, byLID, again, merged app.Customer
	mustWrite(t, db, func(ctx context.Context, tx *store.Tx) (err error) {
		byPhone, err = tx.CustomerForPeer(ctx, app.Peer{Chat: "263771234567@s.whatsapp.net", Phone: "+263771234567", Name: "Tariro"}, false, true)
		return err
	})
	clock.Add(time.Minute)
	mustWrite(t, db, func(ctx context.Context, tx *store.Tx) (err error) {
		byLID, err = tx.CustomerForPeer(ctx, app.Peer{Chat: "999@lid", LID: "999@lid", Name: "T"}, false, true)
		if err != nil {
			return err
		}
		m := app.Message{ID: app.NewID(app.PrefixMessage), CustomerID: byLID.ID, Chat: "999@lid", Direction: app.DirectionIn, Kind: app.MessageKindText, Status: app.MessageReceivedStatus, WAID: "W1"}
		_, err = tx.InsertMessage(ctx, &m)
		return err
	})
	if byLID.ID == byPhone.ID || byLID.Phone != "" {
		t.Fatalf("a LID-only peer = %+v; want a customer of its own without a phone", byLID)
	}
	mustWrite(t, db, func(ctx context.Context, tx *store.Tx) (err error) {
		again, err = tx.CustomerForPeer(ctx, app.Peer{Chat: "263771234567@s.whatsapp.net", Phone: "+263771234567"}, false, true)
		return err
	})
	if again.ID != byPhone.ID {
		t.Fatalf("the same phone made a second customer %s", again.ID)
	}
	// WhatsApp now says the LID and the phone are one person.
	mustWrite(t, db, func(ctx context.Context, tx *store.Tx) (err error) {
		merged, err = tx.CustomerForPeer(ctx, app.Peer{Chat: "999@lid", Phone: "+263771234567", LID: "999@lid"}, false, true)
		return err
	})
	if merged.ID != byPhone.ID || merged.LID != "999@lid" || merged.Phone != "+263771234567" || merged.JID != "999@lid" {
		t.Fatalf("merged customer = %+v; want the older one with both ids, answering the LID chat", merged)
	}
	if n := storetest.Count(t, db, `select count(*) from customers`); n != 1 {
		t.Fatalf("%d customers after the merge, want 1", n)
	}
	if n := storetest.Count(t, db, `select count(*) from messages where customer_id = ?`, byPhone.ID); n != 1 {
		t.Fatalf("the LID customer's message did not move: %d", n)
	}
}

func TestReceiptsMoveAMessageForwardOnly(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t)
	var m app.Message
	mustWrite(t, db, func(ctx context.Context, tx *store.Tx) error {
		c, err := tx.CustomerForPeer(ctx, app.Peer{Chat: "1@s.whatsapp.net", Phone: "+26377000001"}, true, false)
		if err != nil {
			return err
		}
		m = app.Message{ID: app.NewID(app.PrefixMessage), CustomerID: c.ID, Chat: c.JID, Direction: app.DirectionOut, Kind: app.MessageKindText, Text: "hello", Status: app.MessageQueued, WAID: "3EB0AA"}
		_, err = tx.InsertMessage(ctx, &m)
		return err
	})
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	receipt := func(status string) int {
		var moved []app.Message
		mustWrite(t, db, func(ctx context.Context, tx *store.Tx) (err error) {
			moved, err = tx.ApplyReceipt(ctx, []string{"3EB0AA"}, status, at)
			return err
		})
		return len(moved)
	}
	// Read arrives before delivered: both are stamped, and the late
	// delivered receipt does not move it back.
	if n := receipt(app.MessageRead); n != 1 {
		t.Fatalf("read receipt moved %d messages, want 1", n)
	}
	if n := receipt(app.MessageDelivered); n != 0 {
		t.Fatalf("a delivered receipt after read moved %d messages back", n)
	}
	got, _ := db.Message(ctx, m.ID)
	if got.Status != app.MessageRead || got.DeliveredAt == nil || got.ReadAt == nil || got.SentAt == nil {
		t.Fatalf("after read then delivered: %+v", got)
	}
	// Recording the send after the receipts does not move it back either.
	mustWrite(t, db, func(ctx context.Context, tx *store.Tx) error {
		changed, err := tx.MarkMessageSent(ctx, m.ID, at, false)
		if changed {
			t.Error("a read message was marked sent again")
		}
		return err
	})
}

func TestAnInboundMessageWhatsAppGivesTwiceIsStoredOnce(t *testing.T) {
	db := storetest.New(t)
	insert := func() (inserted bool) {
		mustWrite(t, db, func(ctx context.Context, tx *store.Tx) error {
			c, err := tx.CustomerForPeer(ctx, app.Peer{Chat: "1@s.whatsapp.net", Phone: "+26377000001"}, false, true)
			if err != nil {
				return err
			}
			m := app.Message{ID: app.NewID(app.PrefixMessage), CustomerID: c.ID, Direction: app.DirectionIn, Kind: app.MessageKindText, Text: "hi", Status: app.MessageReceivedStatus, WAID: "IN1"}
			inserted, err = tx.InsertMessage(ctx, &m)
			return err
		})
		return inserted
	}
	if !insert() {
		t.Fatal("the first copy was not stored")
	}
	if insert() {
		t.Fatal("the second copy was stored too")
	}
	if n := storetest.Count(t, db, `select count(*) from messages`); n != 1 {
		t.Fatalf("%d messages, want 1", n)
	}
}
