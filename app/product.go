package app

import (
	"strings"
	"time"
)

// Product is one item of the catalog. Price is in minor units of Currency.
type Product struct {
	ID          string         `json:"id"`
	SKU         string         `json:"sku"`
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Category    string         `json:"category"`
	Price       int64          `json:"price"`
	Currency    string         `json:"currency"`
	Stock       *int64         `json:"stock"` // nil when stock is not tracked
	Active      bool           `json:"active"`
	Media       []ProductMedia `json:"media"`
	CreatedAt   time.Time      `json:"created_at"`
	UpdatedAt   time.Time      `json:"updated_at"`
}

// ProductMedia places a media file on a product.
type ProductMedia struct {
	MediaID  string `json:"media_id"`
	Role     string `json:"role"` // primary, gallery
	Position int    `json:"position"`
}

// Validate checks a product's fields and normalises the currency.
func (p *Product) Validate() []FieldError {
	var errs []FieldError
	p.Name = strings.TrimSpace(p.Name)
	p.SKU = strings.TrimSpace(p.SKU)
	p.Currency = strings.ToUpper(strings.TrimSpace(p.Currency))
	if p.Name == "" {
		errs = append(errs, FieldError{"name", "is required: 1 to 200 characters"})
	}
	errs = checkTexts(errs,
		CheckText("name", p.Name, 200, false),
		CheckText("sku", p.SKU, 64, false),
		CheckText("description", p.Description, 4096, true),
		CheckText("category", p.Category, 100, false))
	if p.Price < 0 {
		errs = append(errs, FieldError{"price", "must be zero or more, in minor units (cents)"})
	}
	if len(p.Currency) != 3 || strings.Trim(p.Currency, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		errs = append(errs, FieldError{"currency", "must be an ISO 4217 code like USD or ZAR"})
	}
	if p.Stock != nil && *p.Stock < 0 {
		errs = append(errs, FieldError{"stock", "must be zero or more, or null when not tracked"})
	}
	return errs
}

// UpdatedData is the product_updated event data for this product.
func (p Product) UpdatedData(change string) ProductUpdatedData {
	return ProductUpdatedData{ProductID: p.ID, SKU: p.SKU, Name: p.Name, Price: p.Price, Currency: p.Currency, Stock: p.Stock, Active: p.Active, Change: change}
}
