package web

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/a-h/templ"

	"smartbot/app"
	"smartbot/store"
	"smartbot/web/ui"
)

// A product's pictures: the picker offers the media library's ready
// pictures; each picture on the product can become the primary one, move
// up or down, or come off (it stays in the library). A picture can also be
// uploaded in place: the upload form is the media library's, so panel.js
// sends it with its progress bar, and the page's stream shows it once it is
// on the product.

// pickerSize is how many of the library's pictures the picker offers.
const pickerSize = 60

// productPictures reads product p's pictures and the picker's choices.
func (s *Server) productPictures(ctx context.Context, p app.Product, readOnly bool) (ui.ProductPictures, error) {
	pics := ui.ProductPictures{ProductID: p.ID, ReadOnly: readOnly, Action: shopPath("products", p.ID, "pictures", "attach")}
	on := map[string]bool{}
	for i, pm := range p.Media {
		on[pm.MediaID] = true
		item := ui.ProductPicture{MediaID: pm.MediaID, Primary: pm.Role == app.MediaRolePrimary, Href: mediaPath(pm.MediaID),
			First: i == 0, Last: i == len(p.Media)-1, Name: "Deleted file"}
		md, err := s.db.Media(ctx, pm.MediaID)
		if err != nil && app.ErrorCode(err) != app.ENOTFOUND {
			return pics, err
		}
		if err == nil {
			c := mediaCard(md)
			item.Name, item.Thumb = c.Name, c.Thumb
			item.Pending, item.Failed = md.Status == app.MediaProcessing, md.Status == app.MediaFailed
		}
		action := func(a string) string { return shopPath("products", p.ID, "pictures", pm.MediaID, a) }
		item.PrimaryURL, item.UpURL, item.DownURL, item.DetachURL = action("primary"), action("up"), action("down"), action("detach")
		pics.Items = append(pics.Items, item)
	}
	if readOnly {
		return pics, nil
	}
	list, _, err := s.db.ListMedia(ctx, store.MediaFilter{Kind: app.MediaImage, Status: app.MediaReady, Limit: pickerSize})
	if err != nil {
		return pics, err
	}
	for _, md := range list {
		if !on[md.ID] {
			c := mediaCard(md)
			pics.Choices = append(pics.Choices, ui.PictureChoice{MediaID: md.ID, Name: c.Name, Thumb: c.Thumb})
		}
	}
	return pics, nil
}

// streamProduct keeps the product's pictures current: a picture added
// elsewhere, or one finishing its processing.
func (s *Server) streamProduct(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, app.PrefixProduct, "product")
	if err != nil {
		return err
	}
	readOnly := !layout(r, "", "").User.CanOperate()
	sub := s.broker.Subscribe(dashboardBuffer)
	defer sub.Close()
	refresh := func(ctx context.Context, st *stream) error {
		p, err := s.db.Product(ctx, id)
		if err != nil {
			return err
		}
		pics, err := s.productPictures(ctx, p, readOnly)
		if err != nil {
			return err
		}
		return st.patch(ctx, "product-pictures", fragmentKey(ctx, pics), func() templ.Component { return ui.ProductPictureList(pics) })
	}
	return s.live(w, r, sub, refresh, func(ctx context.Context, st *stream, e app.Event) error {
		if e.Type != app.ProductUpdated {
			return nil
		}
		return refresh(ctx, st)
	})
}

// wantsJSON tells panel.js's upload (which asks for JSON) from a plain
// form's post.
func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}

// postProductUpload stores an uploaded picture and puts it on the product,
// in one transaction (the product_updated event with it). panel.js gets
// the media record as the upload API gives it; a plain form goes back to
// the product's page.
func (s *Server) postProductUpload(w http.ResponseWriter, r *http.Request) error {
	p, err := s.productByPath(r)
	if err != nil {
		return err
	}
	m, err := s.receivePicture(r, p.ID)
	if err != nil {
		if wantsJSON(r) {
			s.writeError(w, r, err)
			return nil
		}
		return formFailed(err, func(status int, msg string) error {
			return s.renderProductForm(w, r, status, p, s.productForm(r, p), map[string]string{"upload": msg})
		})
	}
	if wantsJSON(r) {
		return s.writeMedia(w, r, http.StatusAccepted, m)
	}
	return s.done(w, r, shopPath("products", p.ID), flash{notice: "Added " + mediaName(m) + " to " + p.Name + ". Media prepares it; it shows here once ready."})
}

func (s *Server) receivePicture(r *http.Request, productID string) (app.Media, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return app.Media{}, app.Invalid(app.FieldError{Field: "file", Message: "choose a picture to upload"})
	}
	up, in, err := s.readUpload(r.Context(), mr)
	defer func() { up.Discard() }()
	if err != nil {
		return app.Media{}, err
	}
	// The picture goes on this product through the catalog, which tells
	// of it with product_updated; not through the form's product_id.
	in.ProductID = ""
	if up == nil {
		return app.Media{}, app.Invalid(app.FieldError{Field: "file", Message: "choose a picture to upload"})
	}
	var m app.Media
	err = s.db.Write(r.Context(), func(tx *store.Tx) error {
		if m, err = s.media.CreateTx(r.Context(), tx, up, in); err != nil {
			return err
		}
		_, err = s.catalog.AttachMediaTx(r.Context(), tx, productID, m.ID, "")
		return err
	})
	return m, err
}

// postProductAttach puts the picture the picker chose on the product.
func (s *Server) postProductAttach(w http.ResponseWriter, r *http.Request) error {
	if err := form(w, r); err != nil {
		return err
	}
	p, err := s.productByPath(r)
	if err != nil {
		return err
	}
	mediaID := r.PostFormValue("media_id")
	if !app.ValidID(app.PrefixMedia, mediaID) {
		return s.renderProductForm(w, r, http.StatusUnprocessableEntity, p, s.productForm(r, p), map[string]string{"upload": "Choose a picture to add."})
	}
	if _, err := s.catalog.AttachMedia(r.Context(), p.ID, mediaID, ""); err != nil {
		return formFailed(err, func(status int, msg string) error {
			return s.renderProductForm(w, r, status, p, s.productForm(r, p), map[string]string{"upload": msg})
		})
	}
	return s.done(w, r, shopPath("products", p.ID), flash{notice: "Picture added."})
}

// postProductPicture acts on one picture of the product: primary, up,
// down or detach.
func (s *Server) postProductPicture(w http.ResponseWriter, r *http.Request) error {
	p, err := s.productByPath(r)
	if err != nil {
		return err
	}
	mediaID := r.PathValue("media")
	i := slices.IndexFunc(p.Media, func(pm app.ProductMedia) bool { return pm.MediaID == mediaID })
	if i < 0 {
		return app.Errorf(app.ENOTFOUND, "This picture is not on %s any more.", p.Name)
	}
	ctx := r.Context()
	var notice string
	switch r.PathValue("action") {
	case "primary":
		_, err = s.catalog.SetPrimaryMedia(ctx, p.ID, mediaID)
		notice = "That picture is now the main one."
	case "detach":
		_, err = s.catalog.DetachMedia(ctx, p.ID, mediaID)
		notice = "Picture taken off " + p.Name + ". It is still in Media."
	case "up", "down":
		j := i - 1
		if r.PathValue("action") == "down" {
			j = i + 1
		}
		if j < 0 || j >= len(p.Media) {
			return s.done(w, r, shopPath("products", p.ID), flash{})
		}
		ids := make([]string, len(p.Media))
		for k, pm := range p.Media {
			ids[k] = pm.MediaID
		}
		ids[i], ids[j] = ids[j], ids[i]
		_, err = s.catalog.ReorderMedia(ctx, p.ID, ids)
		notice = "Pictures reordered."
	default:
		return app.Errorf(app.ENOTFOUND, "No such action on a picture.")
	}
	if err != nil {
		return err
	}
	return s.done(w, r, shopPath("products", p.ID), flash{notice: notice})
}
