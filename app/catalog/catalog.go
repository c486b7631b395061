// Package catalog holds the use cases of the shop's catalog: products (and,
// later, their pictures and CSV import). The API, the panel and the bot all
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
		Category: in.Category, Currency: in.Currency, Stock: in.Stock, Active: true, Media: []app.ProductMedia{}}
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
