package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/a-h/templ"

	"smartbot/app"
	"smartbot/app/media"
	"smartbot/web/ui"
)

// A file's page in the media library: what it is, its sizes and where it
// is used, kept live; and deleting it, after a confirmation that names the
// products that show it.

// mediaByPath reads the file the URL names; a missing one is a not-found
// error that says so in words.
func (s *Server) mediaByPath(r *http.Request) (app.Media, error) {
	id := r.PathValue("id")
	var m app.Media
	var err error = app.Errorf(app.ENOTFOUND, "no such id")
	if app.ValidID(app.PrefixMedia, id) {
		m, err = s.db.Media(r.Context(), id)
	}
	if app.ErrorCode(err) == app.ENOTFOUND {
		return m, app.Errorf(app.ENOTFOUND, "This file is not in the media library: it was deleted, or the link is wrong.")
	}
	return m, err
}

func (s *Server) pageMediaFile(w http.ResponseWriter, r *http.Request) error {
	m, err := s.mediaByPath(r)
	if err != nil {
		return err
	}
	d, err := s.mediaDetails(r.Context(), m)
	if err != nil {
		return err
	}
	l, _ := s.frame(w, r, d.Name, "media")
	p := ui.MediaDetailsPage{Layout: l, Details: d, Stream: mediaPath(m.ID, "stream")}
	if l.User.CanOperate() {
		p.DeleteURL = mediaPath(m.ID, "delete")
	}
	return render(w, r, http.StatusOK, ui.MediaDetailsView(p))
}

// mediaDetails is everything the file's page says about it.
func (s *Server) mediaDetails(ctx context.Context, m app.Media) (ui.MediaDetails, error) {
	uses, err := s.db.MediaUses(ctx, m.ID)
	if err != nil {
		return ui.MediaDetails{}, err
	}
	d := ui.MediaDetails{ID: m.ID, Name: mediaName(m), Kind: string(m.Kind), KindLabel: mediaKindLabel(m), Status: m.Status,
		Alt: m.Alt, File: fileURL(m.ID), FileSize: fileSize(m.Size)}
	switch {
	case m.Status == app.MediaFailed:
		d.Error = mediaFailure(m)
	case m.Kind == app.MediaImage:
		if v, ok := m.Variants[app.VariantMedium]; ok {
			d.Preview, d.PreviewWidth, d.PreviewHeight = fileURL(m.ID, app.VariantMedium), v.Width, v.Height
		}
	case m.Kind == app.MediaVideo || m.Kind == app.MediaAudio:
		d.Preview = fileURL(m.ID)
	}
	state := map[string]string{app.MediaProcessing: "Processing…", app.MediaReady: "Ready", app.MediaFailed: "Failed"}[m.Status]
	d.Facts = []ui.MediaFact{
		{Label: "Type", Value: mediaType(m)},
		{Label: "Size", Value: fileSize(m.Size)},
	}
	if m.Width > 0 && m.Height > 0 {
		d.Facts = append(d.Facts, ui.MediaFact{Label: "Pixels", Value: fmt.Sprintf("%d × %d", m.Width, m.Height)})
	}
	d.Facts = append(d.Facts, ui.MediaFact{Label: "State", Value: orDefault(state, m.Status)},
		ui.MediaFact{Label: "Uploaded", Value: displayTime(ctx, m.CreatedAt)})
	if by := s.uploader(ctx, m.CreatedBy); by != "" {
		d.Facts = append(d.Facts, ui.MediaFact{Label: "Uploaded by", Value: by})
	}
	if len(m.SHA256) > 12 {
		d.Facts = append(d.Facts, ui.MediaFact{Label: "SHA-256", Value: m.SHA256[:12] + "…", Title: m.SHA256})
	}
	for _, name := range app.MediaVariantNames() {
		v, ok := m.Variants[name]
		if !ok {
			continue
		}
		d.Variants = append(d.Variants, ui.MediaVariantRow{Label: variantLabels[name], Dimensions: fmt.Sprintf("%d × %d", v.Width, v.Height),
			Size: fileSize(v.Size), Href: fileURL(m.ID, name)})
	}
	for _, u := range uses {
		d.Uses = append(d.Uses, ui.MediaUseRow{Kind: mediaUseKind(u.Type), Name: u.Name})
	}
	return d, nil
}

// variantLabels name a picture's stored sizes.
var variantLabels = map[string]string{app.VariantThumb: "Thumbnail", app.VariantMedium: "Medium", app.VariantLarge: "Large"}

// uploader says who uploaded a file from its record's created_by
// ("user:usr_…", "api_key:key_…"), or "" when that is not known.
func (s *Server) uploader(ctx context.Context, createdBy string) string {
	typ, id, _ := strings.Cut(createdBy, ":")
	switch typ {
	case app.ActorUser:
		u, err := s.db.User(ctx, id)
		if err != nil {
			return "A user who was removed"
		}
		return u.Email
	case app.ActorAPIKey:
		keys, err := s.db.APIKeys(ctx)
		if err != nil {
			return "An API key"
		}
		for _, k := range keys {
			if k.ID == id {
				return "API key " + k.Name
			}
		}
		return "An API key"
	}
	return ""
}

func (s *Server) streamMediaFile(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if _, err := s.mediaByPath(r); err != nil {
		return err
	}
	return s.live(w, r, nil, func(ctx context.Context, st *stream) error {
		m, err := s.db.Media(ctx, id)
		if app.ErrorCode(err) == app.ENOTFOUND {
			// Deleted by someone else: say so, and keep the stream, which
			// would otherwise be opened again and again.
			return st.patch(ctx, "media-details", "gone", func() templ.Component { return ui.MediaGone() })
		}
		if err != nil {
			return err
		}
		d, err := s.mediaDetails(ctx, m)
		if err != nil {
			return err
		}
		return st.patch(ctx, "media-details", fragmentKey(ctx, d), func() templ.Component { return ui.MediaDetailsFragment(d) })
	}, nil)
}

func (s *Server) pageMediaDelete(w http.ResponseWriter, r *http.Request) error {
	return s.renderMediaDelete(w, r, http.StatusOK, "")
}

// renderMediaDelete asks before deleting the file, naming what uses it;
// errMsg is why a delete just failed.
func (s *Server) renderMediaDelete(w http.ResponseWriter, r *http.Request, status int, errMsg string) error {
	m, err := s.mediaByPath(r)
	if err != nil {
		return err
	}
	uses, err := s.db.MediaUses(r.Context(), m.ID)
	if err != nil {
		return err
	}
	p := ui.MediaDeletePage{Name: mediaName(m), Thumb: mediaCard(m).Thumb, Action: mediaPath(m.ID, "delete"), Cancel: mediaPath(m.ID)}
	for _, u := range uses {
		row := ui.MediaUseRow{Kind: mediaUseKind(u.Type), Name: u.Name}
		if u.Type == "product" {
			p.Uses = append(p.Uses, row)
		} else {
			// Force takes a file off products only: a template's header is
			// a new version of the template, its owner's change.
			p.Blocked = append(p.Blocked, row)
		}
	}
	p.Layout = layout(r, "Delete "+p.Name+"?", "media")
	p.Layout.Error, p.Layout.Zone = errMsg, "" // no times here
	return render(w, r, status, ui.MediaDelete(p))
}

// postMediaDelete deletes the file; force (the confirmation page sends it
// when products use the file) takes it off them first. A file something
// still uses comes back to the confirmation page with the reason.
func (s *Server) postMediaDelete(w http.ResponseWriter, r *http.Request) error {
	if err := form(w, r); err != nil {
		return err
	}
	m, err := s.mediaByPath(r)
	if app.ErrorCode(err) == app.ENOTFOUND {
		// A second press of the button, or someone else was quicker.
		return s.done(w, r, "/library", flash{notice: "The file was deleted already."})
	}
	if err != nil {
		return err
	}
	force := r.PostFormValue("force") == "true"
	err = s.media.Delete(r.Context(), m.ID, force)
	var inUse *media.InUseError
	switch {
	case errors.As(err, &inUse):
		return s.renderMediaDelete(w, r, http.StatusConflict, inUseSentence(mediaName(m), inUse.Uses, force))
	case app.ErrorCode(err) == app.ENOTFOUND:
		return s.done(w, r, "/library", flash{notice: "The file was deleted already."})
	case err != nil:
		return err
	}
	return s.done(w, r, "/library", flash{notice: "Deleted " + mediaName(m) + "."})
}

// inUseSentence says why a file in use was not deleted.
func inUseSentence(name string, uses []app.MediaUse, force bool) string {
	var what []string
	for _, u := range uses {
		what = append(what, strings.ToLower(mediaUseKind(u.Type))+" “"+u.Name+"”")
	}
	if force {
		return "Nothing was deleted: " + name + " is still the header of " + listWords(what) + ". Give it another header first."
	}
	return "Nothing was deleted: " + name + " is used by " + listWords(what) + ". To delete it anyway, press “Delete and take it off these products”."
}
