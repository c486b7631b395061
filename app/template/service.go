package template

import (
	"context"
	"strconv"
	"strings"

	"smartbot/app"
	"smartbot/store"
)

// The templates service: every change is one transaction holding the
// template's row, the snapshot of its new version and the audit row
// (store does the last two). The API and the panel call it.

// Options configure New. DB is required.
type Options struct {
	DB *store.DB
}

// Service runs the templates use cases.
type Service struct {
	db *store.DB
}

// New returns the templates service.
func New(opts Options) *Service {
	return &Service{db: opts.DB}
}

// Create validates t and saves it as version 1 of a new template, with an
// optional note for its version list. Every problem is reported at once
// (EINVALID, each with its field); a taken name is ECONFLICT.
func (s *Service) Create(ctx context.Context, t app.Template, note string) (app.Template, error) {
	err := s.db.Write(ctx, func(tx *store.Tx) (err error) {
		t, err = s.CreateTx(ctx, tx, t, note)
		return err
	})
	return t, err
}

// CreateTx is Create inside tx.
func (s *Service) CreateTx(ctx context.Context, tx *store.Tx, t app.Template, note string) (app.Template, error) {
	t.ID, t.Status = app.NewID(app.PrefixTemplate), app.TemplateActive
	if err := s.check(ctx, tx, &t, note); err != nil {
		return t, err
	}
	return t, tx.CreateTemplate(ctx, &t, note)
}

// Update saves t as the next version of template id, when that template is
// still at version basedOn (ECONFLICT otherwise: someone saved meanwhile).
// An archived template stays archived.
func (s *Service) Update(ctx context.Context, id string, t app.Template, basedOn int, note string) (app.Template, error) {
	err := s.db.Write(ctx, func(tx *store.Tx) (err error) {
		t, err = s.UpdateTx(ctx, tx, id, t, basedOn, note)
		return err
	})
	return t, err
}

// UpdateTx is Update inside tx.
func (s *Service) UpdateTx(ctx context.Context, tx *store.Tx, id string, t app.Template, basedOn int, note string) (app.Template, error) {
	current, err := tx.Template(ctx, id)
	if err != nil {
		return t, err
	}
	t.ID, t.Status = id, current.Status
	if err := s.check(ctx, tx, &t, note); err != nil {
		return t, err
	}
	return t, tx.UpdateTemplate(ctx, &t, basedOn, note)
}

// Rollback saves version n of template id again, as its next version: the
// versions in between stay in its history.
func (s *Service) Rollback(ctx context.Context, id string, n int) (t app.Template, err error) {
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		t, err = s.RollbackTx(ctx, tx, id, n)
		return err
	})
	return t, err
}

// RollbackTx is Rollback inside tx.
func (s *Service) RollbackTx(ctx context.Context, tx *store.Tx, id string, n int) (app.Template, error) {
	current, err := tx.Template(ctx, id)
	if err != nil {
		return current, err
	}
	old, err := tx.TemplateVersion(ctx, id, n)
	if err != nil {
		return current, err
	}
	// Checked again: the media its header used may have gone since.
	return s.UpdateTx(ctx, tx, id, old, current.Version, "Back to version "+strconv.Itoa(n))
}

// Archive takes template id out of use (the bot and the senders no longer
// offer it) and keeps it, with its versions; a template is never deleted,
// since messages sent with it refer to it.
func (s *Service) Archive(ctx context.Context, id string) (t app.Template, err error) {
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		t, err = s.ArchiveTx(ctx, tx, id)
		return err
	})
	return t, err
}

// ArchiveTx is Archive inside tx.
func (s *Service) ArchiveTx(ctx context.Context, tx *store.Tx, id string) (app.Template, error) {
	return tx.SetTemplateStatus(ctx, id, app.TemplateArchived)
}

// check normalises t and validates it, its media header against the
// media library as tx sees it.
func (s *Service) check(ctx context.Context, tx *store.Tx, t *app.Template, note string) error {
	t.Name = strings.TrimSpace(t.Name)
	t.Normalize()
	errs := Validate(*t, LookupMedia(ctx, tx))
	if fe := app.CheckText("note", note, 500, false); fe != nil {
		errs = append(errs, *fe)
	}
	if len(errs) > 0 {
		return app.Invalid(errs...)
	}
	return nil
}

// LookupMedia is the MediaLookup of a media library as lib (a *store.DB,
// or a *store.Tx to see what it has written) holds it.
func LookupMedia(ctx context.Context, lib interface {
	Media(ctx context.Context, id string) (app.Media, error)
}) MediaLookup {
	return func(id string) (app.MediaKind, string, bool) {
		m, err := lib.Media(ctx, id)
		if err != nil {
			return "", "", false
		}
		return m.Kind, m.Status, true
	}
}
