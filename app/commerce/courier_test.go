package commerce_test

import (
	"context"
	"strings"
	"testing"

	"smartbot/app"
	"smartbot/app/commerce"
	"smartbot/store"
)

// proofPhoto is a CourierReport's Proof that records a picture the way the
// media service's CreateTx does, inside the report's transaction.
func proofPhoto(ctx context.Context, tx *store.Tx) (string, error) {
	m := app.Media{ID: app.NewID(app.PrefixMedia), Status: app.MediaProcessing, MIME: "image/jpeg", Kind: app.MediaImage, Size: 10,
		SHA256: strings.Repeat("c", 64), StorageKey: "proof"}
	return m.ID, tx.CreateMedia(ctx, &m)
}

func TestACourierLinkIsShownOnceReplacedByANewOneAndReportsAsTheCourier(t *testing.T) {
	s := newDlvShop(t)
	ctx := context.Background()
	d := s.task(app.DeliveryAssigned)
	old, err := s.svc.CourierLink(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	link, err := s.svc.CourierLink(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimPrefix(link, "/courier/")
	if len(token) != 43 || strings.Contains(token, "=") {
		t.Errorf("token %q: want 32 bytes in unpadded base64url", token)
	}
	if n := s.count(`select count(*) from delivery_tasks where courier_token_hash = ?`, token); n != 0 {
		t.Error("the token itself is stored")
	}
	for _, bad := range []string{strings.TrimPrefix(old, "/courier/"), "", "short", strings.Repeat("!", 43), strings.Repeat("A", 43)} {
		if _, err := s.svc.CourierTask(ctx, bad); app.ErrorCode(err) != app.ENOTFOUND {
			t.Errorf("token %q: %v, want not found", bad, err)
		}
	}
	if got, err := s.svc.CourierTask(ctx, token); err != nil || got.ID != d.ID {
		t.Fatalf("the new link: %s %v", got.ID, err)
	}

	if _, err := s.svc.CourierReport(ctx, token, commerce.CourierReport{Status: app.DeliveryCancelled}); app.ErrorCode(err) != app.EINVALID {
		t.Errorf("a courier cancelling: %v, want refused", err)
	}
	if _, err := s.svc.CourierReport(ctx, token, commerce.CourierReport{Status: app.DeliveryInTransit}); err != nil {
		t.Fatal(err)
	}
	got, err := s.svc.CourierReport(ctx, token, commerce.CourierReport{Status: app.DeliveryDone, Proof: proofPhoto})
	if err != nil || got.Status != app.DeliveryDone || got.ProofMediaID == "" {
		t.Fatalf("delivered with proof: %+v %v", got, err)
	}
	who := "courier:" + d.ID
	if n := s.count(`select count(*) from audit_logs where actor_type = 'system' and actor_id = ? and actor_name = 'Tendai (courier link)'`, who); n != 6 {
		t.Errorf("%d audit rows by the courier, want 6: start and the order's move, the photo and the proof, delivered and the order's move", n)
	}
	if n := s.count(`select count(*) from events where type = 'order_status_changed' and json_extract(payload, '$.data.by') = ?`, "system:"+who); n != 2 {
		t.Errorf("%d order moves by the courier in the events, want 2", n)
	}
	if _, err := s.svc.CourierReport(ctx, token, commerce.CourierReport{Status: app.DeliveryFailed}); app.ErrorCode(err) != app.ECONFLICT ||
		!strings.Contains(app.ErrorMessage(err), "no longer changes anything") {
		t.Errorf("a report after the end: %v", err)
	}
	if _, err := s.svc.CourierLink(ctx, d.ID); app.ErrorCode(err) != app.ECONFLICT {
		t.Errorf("a link for a delivered task: %v, want a conflict", err)
	}
}

func TestACouriersReportWithAPhotoIsWholeOrNothing(t *testing.T) {
	s := newDlvShop(t)
	ctx := context.Background()
	d := s.task(app.DeliveryInTransit)
	link, err := s.svc.CourierLink(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	before := tableDigest(t, s.db)
	failAt(t, s.db, "events", `new.type = 'delivery_completed'`)
	_, err = s.svc.CourierReport(ctx, strings.TrimPrefix(link, "/courier/"), commerce.CourierReport{Status: app.DeliveryDone, Proof: proofPhoto})
	if err == nil || !strings.Contains(err.Error(), "the last statement failed") {
		t.Fatalf("err %v, want the trigger's", err)
	}
	if after := tableDigest(t, s.db); after != before {
		t.Errorf("a failed report left rows behind:\nbefore %s\nafter  %s", before, after)
	}
	if n := s.count(`select count(*) from media_files`); n != 0 {
		t.Errorf("%d media rows survived the failed report", n)
	}
}
