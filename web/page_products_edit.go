package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"smartbot/app"
	"smartbot/app/catalog"
	"smartbot/web/ui"
)

// A product's form: new or saved, one plain form that saves without
// JavaScript. The price is typed as a decimal in the currency's own minor
// digits; the catalog keeps minor units. A refused save shows the form
// again as typed, with each problem beside its field.

// productCurrencies are the currencies the form suggests; any ISO 4217
// code may be typed.
var productCurrencies = []string{"USD", "ZAR", "ZWG", "ZMW", "BWP", "MZN", "KES", "UGX", "TZS", "NGN", "GHS", "EUR", "GBP"}

// productByPath reads the product the URL names.
func (s *Server) productByPath(r *http.Request) (app.Product, error) {
	id, err := pathID(r, app.PrefixProduct, "product")
	if err != nil {
		return app.Product{}, app.Errorf(app.ENOTFOUND, "This product does not exist: the link is wrong.")
	}
	return s.db.Product(r.Context(), id)
}

func (s *Server) pageProductNew(w http.ResponseWriter, r *http.Request) error {
	currency, err := s.settings.Currency(r.Context())
	if err != nil {
		return err
	}
	return s.renderProductForm(w, r, http.StatusOK, app.Product{}, ui.ProductForm{Currency: currency, Active: true}, nil)
}

func (s *Server) pageProduct(w http.ResponseWriter, r *http.Request) error {
	p, err := s.productByPath(r)
	if err != nil {
		return err
	}
	return s.renderProductForm(w, r, http.StatusOK, p, s.productForm(r, p), nil)
}

// productForm is a saved product as the form shows it.
func (s *Server) productForm(r *http.Request, p app.Product) ui.ProductForm {
	f := ui.ProductForm{Name: p.Name, SKU: p.SKU, Description: p.Description, Category: p.Category,
		Price: s.moneyOf(r.Context()).plain(p.Price, p.Currency), Currency: p.Currency, Active: p.Active}
	if p.Stock != nil {
		f.Tracked, f.Stock = true, strconv.FormatInt(*p.Stock, 10)
	}
	return f
}

// renderProductForm shows the form of saved (zero for a new product) as
// f holds it, with problems by field.
func (s *Server) renderProductForm(w http.ResponseWriter, r *http.Request, status int, saved app.Product, f ui.ProductForm, problems map[string]string) error {
	title := "New product"
	if saved.ID != "" {
		title = saved.Name
	}
	l, _ := s.frame(w, r, title, "products")
	l.Zone = ""
	p := ui.ProductEditPage{Layout: l, ID: saved.ID, Action: "/products", Form: f, Problems: problems,
		ReadOnly: !l.User.CanOperate(), Currencies: productCurrencies}
	if len(problems) > 0 {
		p.Layout.Error = "Not saved: see the messages beside the fields."
		if msg, ok := problems[""]; ok {
			p.Layout.Error = "Not saved. " + msg
		}
	}
	if saved.ID != "" {
		p.Action = shopPath("products", saved.ID)
		p.Stream = shopPath("products", saved.ID, "stream")
		if !p.ReadOnly {
			p.ArchiveURL = shopPath("products", saved.ID, "archive")
			p.Upload = &ui.ProductUpload{Action: shopPath("products", saved.ID, "pictures"), Accept: "image/jpeg,image/png,image/webp,image/gif",
				Limits: s.uploadLimits(), Rules: "A picture (JPEG, PNG, WebP or GIF) up to " + fileSize(s.media.Limits().For(app.MediaImage)) + ". It is added to Media too."}
		}
		var err error
		if p.Pictures, err = s.productPictures(r.Context(), saved, p.ReadOnly); err != nil {
			return err
		}
	}
	return render(w, r, status, ui.ProductEdit(p))
}

// readProductForm reads the posted form, and the price and stock as
// numbers with their problems.
func readProductForm(r *http.Request) (f ui.ProductForm, price int64, stock *int64, problems map[string]string) {
	v := r.PostForm
	f = ui.ProductForm{Name: v.Get("name"), SKU: v.Get("sku"), Description: lf(v.Get("description")), Category: v.Get("category"),
		Price: v.Get("price"), Currency: strings.ToUpper(strings.TrimSpace(v.Get("currency"))), Tracked: v.Get("tracked") != "",
		Stock: strings.TrimSpace(v.Get("stock")), Active: v.Get("active") != ""}
	problems = map[string]string{}
	price, msg := parsePrice(f.Price, f.Currency)
	if msg != "" {
		problems["price"] = sentence(msg)
	}
	if f.Tracked {
		n, err := strconv.ParseInt(f.Stock, 10, 64)
		switch {
		case f.Stock == "":
			problems["stock"] = "How many are in stock? Or untick “Track stock”."
		case err != nil || n < 0:
			problems["stock"] = "Must be a whole number, zero or more."
		default:
			stock = &n
		}
	}
	return f, price, stock, problems
}

// productProblems adds a refusal's field errors to problems; it reports
// false for an error that is not the person's to fix.
func productProblems(err error, problems map[string]string) bool {
	var ae *app.Error
	if !errors.As(err, &ae) || (ae.Code != app.EINVALID && ae.Code != app.ECONFLICT) {
		return false
	}
	for _, fe := range ae.Fields {
		if _, ok := problems[fe.Field]; !ok {
			problems[fe.Field] = sentence(fe.Message)
		}
	}
	if len(ae.Fields) == 0 {
		problems[""] = sentence(ae.Message)
	}
	return true
}

// draftProblems adds the catalog's own checks of the other fields to
// problems, so that one round shows every problem; the price is not
// among them, so a bad price is never saved as 0.
func draftProblems(f ui.ProductForm, problems map[string]string) {
	draft := app.Product{SKU: f.SKU, Name: f.Name, Description: f.Description, Category: strings.TrimSpace(f.Category), Currency: f.Currency}
	productProblems(app.Invalid(draft.Validate()...), problems)
	delete(problems, "")
}

func (s *Server) postProductCreate(w http.ResponseWriter, r *http.Request) error {
	if err := form(w, r); err != nil {
		return err
	}
	f, price, stock, problems := readProductForm(r)
	in := catalog.NewProduct{SKU: f.SKU, Name: f.Name, Description: f.Description, Category: strings.TrimSpace(f.Category),
		Price: &price, Currency: f.Currency, Stock: stock, Active: &f.Active}
	if len(problems) > 0 {
		draftProblems(f, problems)
		return s.renderProductForm(w, r, http.StatusUnprocessableEntity, app.Product{}, f, problems)
	}
	p, err := s.catalog.CreateProduct(r.Context(), in)
	if err != nil {
		if !productProblems(err, problems) {
			return err
		}
		return s.renderProductForm(w, r, statusOf[app.ErrorCode(err)], app.Product{}, f, problems)
	}
	return s.done(w, r, shopPath("products", p.ID), flash{notice: "Added " + p.Name + ". Add its pictures below."})
}

func (s *Server) postProductSave(w http.ResponseWriter, r *http.Request) error {
	if err := form(w, r); err != nil {
		return err
	}
	saved, err := s.productByPath(r)
	if err != nil {
		return err
	}
	f, price, stock, problems := readProductForm(r)
	if len(problems) > 0 {
		draftProblems(f, problems)
		return s.renderProductForm(w, r, http.StatusUnprocessableEntity, saved, f, problems)
	}
	category, description := strings.TrimSpace(f.Category), f.Description
	c := catalog.ProductChanges{SKU: &f.SKU, Name: &f.Name, Description: &description, Category: &category, Price: &price,
		Currency: &f.Currency, SetStock: true, Stock: stock, Active: &f.Active}
	p, err := s.catalog.UpdateProduct(r.Context(), saved.ID, c)
	if err != nil {
		if !productProblems(err, problems) {
			return err
		}
		return s.renderProductForm(w, r, statusOf[app.ErrorCode(err)], saved, f, problems)
	}
	return s.done(w, r, shopPath("products", p.ID), flash{notice: "Saved " + p.Name + "."})
}

func (s *Server) pageProductArchive(w http.ResponseWriter, r *http.Request) error {
	p, err := s.productByPath(r)
	if err != nil {
		return err
	}
	return s.confirm(w, r, "products", ui.ConfirmPage{
		Detail: p.Name + " will no longer be listed or offered to customers. Orders that have it keep it as it was.",
		Action: r.URL.Path, Button: "Archive product", Cancel: shopPath("products", p.ID),
	}, "Archive "+p.Name+"?")
}

func (s *Server) postProductArchive(w http.ResponseWriter, r *http.Request) error {
	p, err := s.productByPath(r)
	if err != nil {
		return err
	}
	if _, err := s.catalog.ArchiveProduct(r.Context(), p.ID); err != nil {
		return err
	}
	return s.done(w, r, "/products", flash{notice: "Archived " + p.Name + "."})
}
