package settings_test

import (
	"context"
	"testing"
	"time"

	"smartbot/app"
	"smartbot/app/settings"
	"smartbot/store/storetest"
)

func TestTheShopsTimezoneIsTheDefaultUntilChosenAndThenTheChoice(t *testing.T) {
	db := storetest.New(t)
	s := settings.New(settings.Options{DB: db, DefaultZone: "UTC"})
	ctx := context.Background()
	if loc, err := s.Timezone(ctx); err != nil || loc.String() != "UTC" {
		t.Fatalf("default: %v %v", loc, err)
	}
	if err := s.SetTimezone(ctx, "Africa/Harare"); err != nil {
		t.Fatal(err)
	}
	if loc, err := s.Timezone(ctx); err != nil || loc.String() != "Africa/Harare" {
		t.Fatalf("after choosing: %v %v", loc, err)
	}
	// Another service on the same database reads the stored choice.
	if loc, err := settings.New(settings.Options{DB: db, DefaultZone: "UTC"}).Timezone(ctx); err != nil || loc.String() != "Africa/Harare" {
		t.Fatalf("read back: %v %v", loc, err)
	}
	if n := storetest.Count(t, db, `select count(*) from audit_logs where action = 'setting.set' and entity_id = 'timezone'`); n != 1 {
		t.Errorf("%d audit rows", n)
	}
}

func TestABadTimezoneIsRefusedAndChangesNothing(t *testing.T) {
	db := storetest.New(t)
	s := settings.New(settings.Options{DB: db, DefaultZone: "UTC"})
	ctx := context.Background()
	for _, bad := range []string{"", "Local", "Mars/Olympus", "../../etc/passwd", "Africa/Harare\x00", "Europe/ London"} {
		if err := s.SetTimezone(ctx, bad); app.ErrorCode(err) != app.EINVALID {
			t.Errorf("%q: %v, want EINVALID", bad, err)
		}
	}
	if n := storetest.Count(t, db, `select count(*) from settings`); n != 0 {
		t.Errorf("%d settings stored", n)
	}
}

func TestTodayStartsAtMidnightInTheShopsZone(t *testing.T) {
	harare, err := time.LoadLocation("Africa/Harare") // UTC+2
	if err != nil {
		t.Fatal(err)
	}
	// 23:30 UTC on the 1st is 01:30 on the 2nd in Harare: its day began at
	// 22:00 UTC on the 1st.
	now := time.Date(2026, 12, 1, 23, 30, 0, 0, time.UTC)
	if got, want := app.DayStart(now, harare), time.Date(2026, 12, 1, 22, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("day start %v, want %v", got, want)
	}
	if got, want := app.DayStart(now, time.UTC), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("UTC day start %v, want %v", got, want)
	}
}
