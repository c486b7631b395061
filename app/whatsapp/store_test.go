package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waAdv"
	wastore "go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/types"

	"smartbot/store"
	"smartbot/store/storetest"
)

// pairedDevice stores a device as pairing would, so whatsmeow's per-device
// stores (sessions, identities, prekeys, secrets, buffer) are the real SQL
// ones on the app's database.
func pairedDevice(t *testing.T, db *store.DB) *wastore.Device {
	t.Helper()
	ctx := context.Background()
	container, err := openContainerWith(ctx, db, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	device := container.NewDevice()
	device.ID = &types.JID{User: "15550000001", Device: 7, Server: types.DefaultUserServer}
	device.Account = &waAdv.ADVSignedDeviceIdentity{Details: []byte{1}, AccountSignature: make([]byte, 64), AccountSignatureKey: make([]byte, 32), DeviceSignature: make([]byte, 64)}
	if err := container.PutDevice(ctx, device); err != nil {
		t.Fatal(err)
	}
	return device
}

func TestTheSessionStoreUpgradesAFreshDatabase(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	if _, err := openContainer(ctx, db, nil); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"whatsmeow_device", "whatsmeow_sessions", "whatsmeow_identity_keys", "whatsmeow_pre_keys",
		"whatsmeow_message_secrets", "whatsmeow_lid_map", "whatsmeow_event_buffer", "whatsmeow_version"} {
		if n := storetest.Count(t, db, `select count(*) from sqlite_schema where type = 'table' and name = ?`, table); n != 1 {
			t.Errorf("table %s: %d after the upgrade", table, n)
		}
	}
}

func TestTheSessionStoreUpgradeKeepsTheAppsDataAndRunsOnce(t *testing.T) {
	dir := t.TempDir()
	db := storetest.Open(t, dir)
	ctx := context.Background()
	if err := db.Write(ctx, func(tx *store.Tx) error { return tx.SetSetting(ctx, "shop.name", "Tariro's") }); err != nil {
		t.Fatal(err)
	}
	device := pairedDevice(t, db)
	if err := device.Sessions.PutSession(ctx, "263771234567.0", []byte("session")); err != nil {
		t.Fatal(err)
	}
	version := storetest.Count(t, db, `select version from whatsmeow_version`)
	db.Close()

	// Reopened as a restart does: the app's migrations, then whatsmeow's.
	db = storetest.Open(t, dir)
	c, err := New(Options{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	if got := storetest.Count(t, db, `select version from whatsmeow_version`); got != version {
		t.Errorf("whatsmeow's schema version went from %d to %d on a second upgrade", version, got)
	}
	var name string
	if err := db.Setting(ctx, "shop.name", &name); err != nil || name != "Tariro's" {
		t.Errorf("the app's setting after the upgrade: %q (%v)", name, err)
	}
	if got := storetest.Count(t, db, `select count(*) from whatsmeow_sessions`); got != 1 {
		t.Errorf("whatsmeow's sessions after the second upgrade: %d, want 1", got)
	}
	if s := c.Status(); s.Phone != "+15550000001" || s.State != "disconnected" {
		t.Errorf("status of a client with a stored device: %+v", s)
	}
}

func TestANewClientWithoutADeviceSaysNoNumberIsPaired(t *testing.T) {
	c, err := New(Options{DB: storetest.New(t)})
	if err != nil {
		t.Fatal(err)
	}
	if s := c.Status(); s.State != "disconnected" || s.Reason != reasonNotPaired || s.Transport != "whatsapp" {
		t.Errorf("status: %+v", s)
	}
}

// The shared single write connection: whatsmeow's decryption transactions
// and the app's writes interleave without waiting on each other forever and
// without SQLITE_BUSY. Each decryption runs the Signal store's reads and
// writes inside whatsmeow's real DoDecryptionTxn and then, as whatsmeow's
// handler does, an app write after the commit.
func TestWhatsmeowStoreAndAppWritesShareTheConnection(t *testing.T) {
	db := storetest.New(t)
	device := pairedDevice(t, db)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := device.PreKeys.GetOrGenPreKeys(ctx, 50); err != nil {
		t.Fatal(err)
	}

	const decrypters, writers, rounds = 4, 4, 25
	errs := make(chan error, (decrypters+writers)*rounds*2)
	var wg sync.WaitGroup
	for g := range decrypters {
		wg.Go(func() {
			for i := range rounds {
				addr := fmt.Sprintf("2637712%05d.0", g*rounds+i)
				hash := [32]byte{byte(g), byte(i)}
				err := device.EventBuffer.DoDecryptionTxn(ctx, func(ctx context.Context) error {
					if _, err := device.Sessions.GetSession(ctx, addr); err != nil {
						return err
					}
					if _, err := device.Identities.IsTrustedIdentity(ctx, addr, [32]byte{1}); err != nil {
						return err
					}
					if err := device.Identities.PutIdentity(ctx, addr, [32]byte{1}); err != nil {
						return err
					}
					if _, err := device.PreKeys.GetPreKey(ctx, uint32(g*rounds+i+1)); err != nil {
						return err
					}
					if err := device.PreKeys.RemovePreKey(ctx, uint32(g*rounds+i+1)); err != nil {
						return err
					}
					if err := device.Sessions.PutSession(ctx, addr, []byte("ratchet")); err != nil {
						return err
					}
					return device.EventBuffer.PutBufferedEvent(ctx, hash, []byte("plaintext"), time.Now())
				})
				if err != nil {
					errs <- fmt.Errorf("decrypt %s: %w", addr, err)
					continue
				}
				// The handler, after the commit: the app's own write.
				if err := db.Write(ctx, func(tx *store.Tx) error {
					return tx.SetSetting(ctx, fmt.Sprintf("test.inbound.%d.%d", g, i), i)
				}); err != nil {
					errs <- fmt.Errorf("handler write: %w", err)
				}
				chat := types.JID{User: addr[:12], Server: types.DefaultUserServer}
				if err := device.MsgSecrets.PutMessageSecret(ctx, chat, chat, types.MessageID(addr), []byte("secret")); err != nil {
					errs <- fmt.Errorf("message secret: %w", err)
				}
				lid := types.JID{User: fmt.Sprintf("9%08d", g*rounds+i), Server: types.HiddenUserServer}
				if err := device.LIDs.PutLIDMapping(ctx, lid, chat); err != nil {
					errs <- fmt.Errorf("LID mapping: %w", err)
				}
				if err := device.EventBuffer.ClearBufferedEventPlaintext(ctx, hash); err != nil {
					errs <- fmt.Errorf("clear buffer: %w", err)
				}
			}
		})
	}
	for g := range writers {
		wg.Go(func() {
			for i := range rounds * 2 {
				if err := db.Write(ctx, func(tx *store.Tx) error {
					return tx.SetSetting(ctx, fmt.Sprintf("test.app.%d.%d", g, i), i)
				}); err != nil {
					errs <- fmt.Errorf("app write: %w", err)
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatal("deadlock: the writers did not finish within 30 seconds")
	}
	close(errs)
	for err := range errs {
		if busy := strings.Contains(err.Error(), "SQLITE_BUSY") || strings.Contains(err.Error(), "locked"); busy {
			t.Errorf("SQLITE_BUSY: %v", err)
		} else if !errors.Is(err, context.Canceled) {
			t.Error(err)
		}
	}
	if n := storetest.Count(t, db, `select count(*) from whatsmeow_sessions`); n != decrypters*rounds {
		t.Errorf("sessions written: %d, want %d", n, decrypters*rounds)
	}
	if n := storetest.Count(t, db, `select count(*) from settings where key like 'test.%'`); n != decrypters*rounds+writers*rounds*2 {
		t.Errorf("app writes: %d, want %d", n, decrypters*rounds+writers*rounds*2)
	}
}
