// Package settings holds the use cases of the shop's settings, starting with
// its timezone: the panel shows every time in it and counts "today" by it.
// Writes come as X(ctx, …) and XTx(ctx, tx, …), like every service.
package settings

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"smartbot/app"
	"smartbot/store"
)

// Options configure New. DB is required.
type Options struct {
	DB *store.DB
	// DefaultZone is the timezone until the shop chooses one; "" means the
	// server's (ServerZone).
	DefaultZone string
}

// Service reads and changes the shop's settings.
type Service struct {
	db          *store.DB
	defaultZone string
	// zone caches the shop's timezone; a change in this process replaces it
	// after its commit.
	zone atomic.Pointer[time.Location]
}

// New returns the settings service.
func New(opts Options) *Service {
	if opts.DefaultZone == "" {
		opts.DefaultZone = ServerZone()
	}
	return &Service{db: opts.DB, defaultZone: opts.DefaultZone}
}

// ServerZone is the IANA name of this machine's timezone: $TZ, or what
// /etc/localtime links to, or UTC.
func ServerZone() string {
	if tz := strings.TrimPrefix(os.Getenv("TZ"), ":"); tz != "" {
		if _, e := app.ValidateTimezone("TZ", tz); e == nil {
			return tz
		}
	}
	if target, err := filepath.EvalSymlinks("/etc/localtime"); err == nil {
		if _, name, ok := strings.Cut(target, "zoneinfo/"); ok {
			switch name {
			case "Etc/UTC", "Etc/Universal", "Etc/Zulu", "UCT", "Universal", "Zulu":
				return "UTC" // how people name it
			}
			if _, e := app.ValidateTimezone("TZ", name); e == nil {
				return name
			}
		}
	}
	return "UTC"
}

// DefaultZone is the timezone the setup form suggests.
func (s *Service) DefaultZone() string { return s.defaultZone }

// Timezone is the shop's timezone: the one it chose, or the default.
func (s *Service) Timezone(ctx context.Context) (*time.Location, error) {
	if loc := s.zone.Load(); loc != nil {
		return loc, nil
	}
	var name string
	err := s.db.Setting(ctx, app.SettingTimezone, &name)
	if app.ErrorCode(err) == app.ENOTFOUND {
		name, err = s.defaultZone, nil
	}
	if err != nil {
		return nil, err
	}
	loc, fe := app.ValidateTimezone("timezone", name)
	if fe != nil {
		// A stored zone this binary's tzdata lacks: show UTC, which is
		// never wrong, only less friendly.
		loc = time.UTC
	}
	s.zone.Store(loc)
	return loc, nil
}

// SetTimezone makes name the shop's timezone.
func (s *Service) SetTimezone(ctx context.Context, name string) error {
	return s.db.Write(ctx, func(tx *store.Tx) error { return s.SetTimezoneTx(ctx, tx, name) })
}

// SetTimezoneTx is SetTimezone inside tx.
func (s *Service) SetTimezoneTx(ctx context.Context, tx *store.Tx, name string) error {
	loc, fe := app.ValidateTimezone("timezone", name)
	if fe != nil {
		return app.Invalid(*fe)
	}
	if err := tx.SetSetting(ctx, app.SettingTimezone, name); err != nil {
		return err
	}
	tx.OnCommit(func() { s.zone.Store(loc) })
	return nil
}

// Currency is the shop's ISO 4217 code, or "" until the owner sets one.
func (s *Service) Currency(ctx context.Context) (string, error) {
	return s.text(ctx, app.SettingCurrency, "")
}

// SetCurrency sets the shop's currency, a code like USD.
func (s *Service) SetCurrency(ctx context.Context, code string) error {
	return s.db.Write(ctx, func(tx *store.Tx) error { return s.SetCurrencyTx(ctx, tx, code) })
}

// SetCurrencyTx is SetCurrency inside tx.
func (s *Service) SetCurrencyTx(ctx context.Context, tx *store.Tx, code string) error {
	code, fe := app.ValidateCurrency("currency", code)
	if fe != nil {
		return app.Invalid(*fe)
	}
	return tx.SetSetting(ctx, app.SettingCurrency, code)
}

// Locale is how the shop's messages write numbers and dates, one of
// app.Locales: "en" until the owner chooses.
func (s *Service) Locale(ctx context.Context) (string, error) {
	return s.text(ctx, app.SettingLocale, "en")
}

// text reads the text setting key, or def while it is not set.
func (s *Service) text(ctx context.Context, key, def string) (string, error) {
	v := def
	err := s.db.Setting(ctx, key, &v)
	if app.ErrorCode(err) == app.ENOTFOUND {
		return def, nil
	}
	return v, err
}

// SetLocaleTx sets how the shop's messages write numbers and dates.
func (s *Service) SetLocaleTx(ctx context.Context, tx *store.Tx, code string) error {
	if fe := app.ValidateLocale("locale", code); fe != nil {
		return app.Invalid(*fe)
	}
	return tx.SetSetting(ctx, app.SettingLocale, code)
}
