package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"smartbot/app"
	"smartbot/queue"
	"smartbot/store"
)

// Process is the media_processing handler: it makes the variants of the
// picture whose id is the job's body and marks it ready, or failed with a
// reason the owner can read when the picture cannot be read. Other kinds
// are ready as they are. It is idempotent: variants are written atomically
// at names derived from the file's digest, so a rerun after a crash
// overwrites what a killed run left and finishes the same way; a record
// that is no longer processing (or is gone) is left alone.
func (s *Service) Process(ctx context.Context, job queue.Job) error {
	id := string(job.Body)
	m, err := s.db.Media(ctx, id)
	if app.ErrorCode(err) == app.ENOTFOUND {
		return nil // deleted meanwhile: nothing to make
	}
	if err != nil {
		return err
	}
	if m.Status != app.MediaProcessing {
		return nil
	}
	if m.Kind != app.MediaImage {
		return s.db.Write(ctx, func(tx *store.Tx) error {
			return tx.SetMediaReady(ctx, id, m.Width, m.Height, nil, nil)
		})
	}
	v, err := s.variants(ctx, m)
	if err != nil {
		if app.ErrorCode(err) == app.EINVALID || job.Attempt >= s.maxAttempts {
			reason := app.ErrorMessage(err)
			if app.ErrorCode(err) != app.EINVALID {
				reason = "The picture could not be processed; upload it again. If it fails again, the server's log says why."
			}
			werr := s.db.Write(ctx, func(tx *store.Tx) error { return tx.SetMediaFailed(ctx, id, reason) })
			return errors.Join(queue.Permanent(err), werr)
		}
		return err
	}
	return s.db.Write(ctx, func(tx *store.Tx) error {
		return tx.SetMediaReady(ctx, id, v.Width, v.Height, variantSizes(v), v.Inline)
	})
}

// variants makes and stores m's variants.
func (s *Service) variants(ctx context.Context, m app.Media) (*Variants, error) {
	f, err := s.files.Open(m.StorageKey)
	if err != nil {
		return nil, fmt.Errorf("media: open %s: %w", m.ID, err)
	}
	defer f.Close()
	t, err := Sniff(head(f))
	if err != nil {
		return nil, err
	}
	info, err := ReadImageInfo(t, f)
	if err != nil {
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	v, err := MakeVariants(ctx, f, m.MIME, info.Orientation)
	if err != nil {
		return nil, err
	}
	for _, vv := range []Variant{v.Large, v.Medium, v.Thumb} {
		if err := s.files.WriteVariant(m.StorageKey, vv.Name, vv.JPEG); err != nil {
			return nil, err
		}
		s.crash("wrote " + vv.Name)
	}
	return v, nil
}

// head reads up to SniffLen bytes from the start of f, leaving its offset.
func head(f interface {
	ReadAt([]byte, int64) (int, error)
}) []byte {
	b := make([]byte, SniffLen)
	n, _ := f.ReadAt(b, 0)
	return b[:n]
}

func variantSizes(v *Variants) map[string]app.MediaVariant {
	out := make(map[string]app.MediaVariant, 3)
	for _, vv := range []Variant{v.Large, v.Medium, v.Thumb} {
		out[vv.Name] = app.MediaVariant{Width: vv.Width, Height: vv.Height, Size: int64(len(vv.JPEG))}
	}
	return out
}

// attach puts media id on product productID: as its primary picture when
// it has none yet, else at the end of its gallery.
func (s *Service) attachTo(ctx context.Context, tx *store.Tx, productID, id string) error {
	err := s.attach(ctx, tx, productID, id)
	if app.ErrorCode(err) == app.ENOTFOUND {
		return app.Invalid(app.FieldError{Field: "product_id", Message: "is not a product of this shop"})
	}
	return err
}

// SetAlt sets what media id shows, for those who cannot see it: at most
// app.MediaAltMax characters, one line.
func (s *Service) SetAlt(ctx context.Context, id, alt string) (m app.Media, err error) {
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		m, err = s.SetAltTx(ctx, tx, id, alt)
		return err
	})
	return m, err
}

// SetAltTx is SetAlt inside tx.
func (s *Service) SetAltTx(ctx context.Context, tx *store.Tx, id, alt string) (app.Media, error) {
	alt = strings.TrimSpace(alt)
	if fe := app.CheckText("alt", alt, app.MediaAltMax, false); fe != nil {
		return app.Media{}, app.Invalid(*fe)
	}
	return tx.UpdateMediaAlt(ctx, id, alt)
}

// InUseError refuses to delete a file that products or templates use; it
// names them.
type InUseError struct {
	Err  *app.Error
	Uses []app.MediaUse
}

func (e *InUseError) Error() string { return e.Err.Error() }
func (e *InUseError) Unwrap() error { return e.Err }

// Delete removes media id: the record goes at once, the file after the
// grace period once no record uses it. While products or templates use it,
// Delete refuses with an *InUseError (ECONFLICT) naming them, unless force,
// which first detaches it from them.
func (s *Service) Delete(ctx context.Context, id string, force bool) error {
	return s.db.Write(ctx, func(tx *store.Tx) error { return s.DeleteTx(ctx, tx, id, force) })
}

// DeleteTx is Delete inside tx.
func (s *Service) DeleteTx(ctx context.Context, tx *store.Tx, id string, force bool) error {
	if _, err := tx.Media(ctx, id); err != nil {
		return err
	}
	uses, err := tx.MediaUses(ctx, id)
	if err != nil {
		return err
	}
	if len(uses) > 0 && !force {
		return &InUseError{Err: app.Errorf(app.ECONFLICT, "The file is used by %s. Remove it there first, or delete it with force to take it off everywhere.", listUses(uses)), Uses: uses}
	}
	if len(uses) > 0 {
		// Products let go of it here; a template's header is a change
		// of the template (a new version), which only its owner makes.
		left, err := tx.DetachMediaEverywhere(ctx, id)
		if err != nil {
			return err
		}
		if len(left) > 0 {
			return &InUseError{Err: app.Errorf(app.ECONFLICT, "The file is the header of %s. Give the template another header first; force takes a file off products only.", listUses(left)), Uses: left}
		}
	}
	return tx.DeleteMedia(ctx, id)
}

// listUses names uses for a sentence: `product "Tea" and template "welcome"`.
func listUses(uses []app.MediaUse) string {
	var b strings.Builder
	for i, u := range uses {
		switch {
		case i == len(uses)-1 && i > 0:
			b.WriteString(" and ")
		case i > 0:
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %q", u.Type, u.Name)
	}
	return b.String()
}

// Sweep removes stored files that no record has used for the grace
// period, and temporary files a crash left behind. serve runs it
// periodically; it reports how many files went.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	now := s.db.Now()
	since := now.Add(-s.grace)
	n, err := s.files.Sweep(ctx, func(key string) (bool, error) {
		return s.db.StorageKeyInUse(ctx, key, since)
	}, s.grace, now)
	if cerr := s.files.CleanTemp(now); cerr != nil {
		err = errors.Join(err, cerr)
	}
	return n, err
}

// crash calls the crash test's hook, when it has set one, at step.
func (s *Service) crash(step string) {
	if s.crashAt != nil {
		s.crashAt(step)
	}
}
