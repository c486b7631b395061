// Package catalog holds the use cases of the shop's catalog: products,
// their pictures, and the catalog's CSV import and export. The API, the panel and the bot all
// call this Service. Every write comes as X(ctx, …), which opens its own
// transaction, and XTx(ctx, tx, …), which joins the caller's.
package catalog

import (
	"context"

	"smartbot/app"
	"smartbot/app/event"
	"smartbot/store"
)

// Options configure New. DB and Emitter are required.
type Options struct {
	DB      *store.DB
	Emitter *event.Emitter
}

// Service runs the catalog use cases.
type Service struct {
	db      *store.DB
	emitter *event.Emitter
}

// New returns the catalog service.
func New(opts Options) *Service {
	return &Service{db: opts.DB, emitter: opts.Emitter}
}

// NewProduct is what it takes to add a product. Price is required (nil is
// refused, so a forgotten price never becomes free); Active defaults to true.
type NewProduct struct {
	SKU         string
	Name        string
	Description string
	Category    string
	Price       *int64
	Currency    string
	Stock       *int64
	Active      *bool
}

func (in NewProduct) product() (app.Product, error) {
	p := app.Product{ID: app.NewID(app.PrefixProduct), SKU: in.SKU, Name: in.Name, Description: in.Description,
		Category: in.Category, Currency: in.Currency, Stock: in.Stock, Active: true}
	if in.Active != nil {
		p.Active = *in.Active
	}
	if in.Price != nil {
		p.Price = *in.Price
	}
	errs := p.Validate()
	if in.Price == nil {
		errs = append(errs, app.FieldError{Field: "price", Message: "is required, in minor units (1250 for 12.50)"})
	}
	if len(errs) > 0 {
		return p, app.Invalid(errs...)
	}
	return p, nil
}

// CreateProduct adds a product and emits product_updated ("created"). A
// taken SKU is ECONFLICT.
func (s *Service) CreateProduct(ctx context.Context, in NewProduct) (p app.Product, err error) {
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		p, err = s.CreateProductTx(ctx, tx, in)
		return err
	})
	return p, err
}

// CreateProductTx is CreateProduct inside tx.
func (s *Service) CreateProductTx(ctx context.Context, tx *store.Tx, in NewProduct) (app.Product, error) {
	p, err := in.product()
	if err != nil {
		return p, err
	}
	if err := tx.CreateProduct(ctx, &p); err != nil {
		return p, err
	}
	_, err = s.emitter.Emit(ctx, tx, p.UpdatedData("created"))
	return p, err
}

// AttachMedia puts media mediaID on product productID with role:
// "primary" (the old primary becomes gallery), "gallery", or "" for
// primary when the product has none yet. Only pictures and videos go on a
// product. It emits product_updated and returns the product as it now is.
func (s *Service) AttachMedia(ctx context.Context, productID, mediaID, role string) (app.Product, error) {
	return s.write(ctx, func(tx *store.Tx) (app.Product, error) { return s.AttachMediaTx(ctx, tx, productID, mediaID, role) })
}

// AttachMediaTx is AttachMedia inside tx.
func (s *Service) AttachMediaTx(ctx context.Context, tx *store.Tx, productID, mediaID, role string) (app.Product, error) {
	if role != "" && role != app.MediaRolePrimary && role != app.MediaRoleGallery {
		return app.Product{}, app.Invalid(app.FieldError{Field: "role", Message: "must be primary or gallery, or left out"})
	}
	m, err := tx.Media(ctx, mediaID)
	if err != nil {
		return app.Product{}, err
	}
	if m.Kind != app.MediaImage && m.Kind != app.MediaVideo {
		return app.Product{}, app.Invalid(app.FieldError{Field: "media_id", Message: "is " + string(m.Kind) + "; a product shows pictures and videos only"})
	}
	return s.mediaChanged(ctx, tx, productID, tx.AttachProductMedia(ctx, productID, mediaID, role))
}

// AttachUploadTx is media.Options.Attach: a new upload put on a product
// (its primary picture when it has none, else the end of its gallery),
// told with product_updated.
func (s *Service) AttachUploadTx(ctx context.Context, tx *store.Tx, productID, mediaID string) error {
	_, err := s.AttachMediaTx(ctx, tx, productID, mediaID, "")
	return err
}

// DetachMedia takes media mediaID off product productID; the file stays in
// the media library. It emits product_updated.
func (s *Service) DetachMedia(ctx context.Context, productID, mediaID string) (app.Product, error) {
	return s.write(ctx, func(tx *store.Tx) (app.Product, error) { return s.DetachMediaTx(ctx, tx, productID, mediaID) })
}

// DetachMediaTx is DetachMedia inside tx.
func (s *Service) DetachMediaTx(ctx context.Context, tx *store.Tx, productID, mediaID string) (app.Product, error) {
	return s.mediaChanged(ctx, tx, productID, tx.DetachProductMedia(ctx, productID, mediaID))
}

// SetPrimaryMedia makes media mediaID, already on product productID, its
// primary picture. It emits product_updated.
func (s *Service) SetPrimaryMedia(ctx context.Context, productID, mediaID string) (app.Product, error) {
	return s.write(ctx, func(tx *store.Tx) (app.Product, error) { return s.SetPrimaryMediaTx(ctx, tx, productID, mediaID) })
}

// SetPrimaryMediaTx is SetPrimaryMedia inside tx.
func (s *Service) SetPrimaryMediaTx(ctx context.Context, tx *store.Tx, productID, mediaID string) (app.Product, error) {
	return s.mediaChanged(ctx, tx, productID, tx.SetPrimaryProductMedia(ctx, productID, mediaID))
}

// ReorderMedia puts product productID's media in the order of mediaIDs,
// which names each of them once. It emits product_updated.
func (s *Service) ReorderMedia(ctx context.Context, productID string, mediaIDs []string) (app.Product, error) {
	return s.write(ctx, func(tx *store.Tx) (app.Product, error) { return s.ReorderMediaTx(ctx, tx, productID, mediaIDs) })
}

// ReorderMediaTx is ReorderMedia inside tx.
func (s *Service) ReorderMediaTx(ctx context.Context, tx *store.Tx, productID string, mediaIDs []string) (app.Product, error) {
	return s.mediaChanged(ctx, tx, productID, tx.ReorderProductMedia(ctx, productID, mediaIDs))
}

// write runs f in a write transaction of its own.
func (s *Service) write(ctx context.Context, f func(tx *store.Tx) (app.Product, error)) (p app.Product, err error) {
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		p, err = f(tx)
		return err
	})
	return p, err
}

// mediaChanged finishes a change of product productID's media that ended
// with err: it reads the product back and emits product_updated.
func (s *Service) mediaChanged(ctx context.Context, tx *store.Tx, productID string, err error) (app.Product, error) {
	if err != nil {
		return app.Product{}, err
	}
	p, err := tx.Product(ctx, productID)
	if err != nil {
		return p, err
	}
	data := p.UpdatedData("updated")
	data.Changed = []string{"media"}
	_, err = s.emitter.Emit(ctx, tx, data)
	return p, err
}
