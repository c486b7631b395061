package web

import (
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"smartbot/app"
	"smartbot/app/media"
	"smartbot/store"
)

// The media API: uploads (streamed, checked by the media service as they
// arrive), records, deletion with the in-use check, and the files
// themselves. Files are served to signed-in users and API keys only: a
// shop's uploads are not public.

// uploadReadTimeout is how long an upload's body may take to arrive: a
// 100 MB document over a slow phone connection.
const uploadReadTimeout = 15 * time.Minute

// uploadFormSlack is what an upload's body may carry beyond the file's cap:
// the multipart framing and the small fields beside the file.
const uploadFormSlack = 64 << 10

// mediaJSON is the media record as the API shows it (DESIGN §13).
type mediaJSON struct {
	ID           string                      `json:"id"`
	Status       string                      `json:"status"`
	MIME         string                      `json:"mime"`
	Kind         app.MediaKind               `json:"kind"`
	Size         int64                       `json:"size"`
	SHA256       string                      `json:"sha256"`
	Width        *int                        `json:"width"`
	Height       *int                        `json:"height"`
	OriginalName string                      `json:"original_name"`
	Alt          string                      `json:"alt"`
	URL          string                      `json:"url"`
	Variants     map[string]mediaVariantJSON `json:"variants"`
	Error        string                      `json:"error"`
	UsedBy       []app.MediaUse              `json:"used_by"`
	CreatedAt    time.Time                   `json:"created_at"`
	UpdatedAt    time.Time                   `json:"updated_at"`
}

type mediaVariantJSON struct {
	URL    string `json:"url"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Size   int64  `json:"size"`
}

func newMediaJSON(m app.Media, uses []app.MediaUse) mediaJSON {
	out := mediaJSON{ID: m.ID, Status: m.Status, MIME: m.MIME, Kind: m.Kind, Size: m.Size, SHA256: m.SHA256,
		OriginalName: m.OriginalName, Alt: m.Alt, URL: "/media/" + m.ID, Variants: map[string]mediaVariantJSON{},
		Error: m.Error, UsedBy: uses, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt}
	if m.Width > 0 && m.Height > 0 {
		out.Width, out.Height = &m.Width, &m.Height
	}
	for name, v := range m.Variants {
		out.Variants[name] = mediaVariantJSON{URL: "/media/" + m.ID + "/" + name, Width: v.Width, Height: v.Height, Size: v.Size}
	}
	if out.UsedBy == nil {
		out.UsedBy = []app.MediaUse{}
	}
	return out
}

// apiUploadMedia takes one file as multipart/form-data: the field file,
// and optionally alt and product_id. The file is read as it arrives, never
// buffered whole; it is answered with 202 and the record, processing,
// while the variants are made.
func (s *Server) apiUploadMedia(w http.ResponseWriter, r *http.Request) error {
	mr, err := r.MultipartReader()
	if err != nil {
		return app.Errorf(errMalformed, "Send the file as multipart/form-data, in a field named file.")
	}
	up, in, err := s.readUpload(r.Context(), mr)
	defer func() { up.Discard() }()
	if err != nil {
		return err
	}
	if up == nil {
		return app.Invalid(app.FieldError{Field: "file", Message: "is required: the picture, video, audio or PDF to upload"})
	}
	m, err := s.media.Create(r.Context(), up, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/media/"+m.ID)
	return s.writeMedia(w, r, http.StatusAccepted, m)
}

// readUpload reads a multipart upload: one file, streamed through the
// media service's checks as it arrives, and the small fields beside it
// (alt, product_id). A file field left empty (a form's input with nothing
// chosen) is no file. The caller discards the upload it did not keep;
// a nil upload means none was sent.
func (s *Server) readUpload(ctx context.Context, mr *multipart.Reader) (*media.Upload, media.NewMedia, error) {
	var up *media.Upload
	var in media.NewMedia
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return up, in, nil
		}
		if err != nil {
			return up, in, uploadError(err)
		}
		switch part.FormName() {
		case "file":
			if part.FileName() == "" {
				continue
			}
			if up != nil {
				return up, in, app.Invalid(app.FieldError{Field: "file", Message: "send one file per upload"})
			}
			if up, err = s.media.Receive(ctx, part, part.FileName()); err != nil {
				return up, in, uploadError(err)
			}
		case "alt":
			if in.Alt, err = formValue(part, "alt", 2000); err != nil {
				return up, in, err
			}
		case "product_id":
			if in.ProductID, err = formValue(part, "product_id", 64); err != nil {
				return up, in, err
			}
			if in.ProductID != "" && !app.ValidID(app.PrefixProduct, in.ProductID) {
				return up, in, app.Invalid(app.FieldError{Field: "product_id", Message: "is not a product id (prd_…)"})
			}
		default:
			if _, err := io.Copy(io.Discard, io.LimitReader(part, uploadFormSlack)); err != nil {
				return up, in, uploadError(err)
			}
		}
	}
}

// uploadError turns a failure to read an upload into what its sender can
// act on.
func uploadError(err error) error {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return app.Errorf(app.ETOOLARGE, "The upload is larger than the largest file Smartbot accepts (%s).", byteSize(tooBig.Limit-uploadFormSlack))
	case app.ErrorCode(err) != app.EINTERNAL:
		return err
	case errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "multipart"):
		return app.Errorf(errMalformed, "The upload ended before it was complete, or its multipart form is broken. Send it again.")
	}
	return err
}

// formValue reads a small multipart field whole.
func formValue(part io.Reader, name string, max int) (string, error) {
	b, err := io.ReadAll(io.LimitReader(part, int64(max)+1))
	if err != nil {
		return "", uploadError(err)
	}
	if len(b) > max {
		return "", app.Invalid(app.FieldError{Field: name, Message: "is too long: at most " + strconv.Itoa(max) + " bytes"})
	}
	return string(b), nil
}

func (s *Server) apiMedia(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, app.PrefixMedia, "media")
	if err != nil {
		return err
	}
	m, err := s.db.Media(r.Context(), id)
	if err != nil {
		return err
	}
	return s.writeMedia(w, r, http.StatusOK, m)
}

// writeMedia answers with m's record and what uses it.
func (s *Server) writeMedia(w http.ResponseWriter, r *http.Request, status int, m app.Media) error {
	uses, err := s.db.MediaUses(r.Context(), m.ID)
	if err != nil {
		return err
	}
	writeJSON(w, status, newMediaJSON(m, uses))
	return nil
}

func (s *Server) apiMediaList(w http.ResponseWriter, r *http.Request) error {
	limit, cursor, err := pageParams(r)
	if err != nil {
		return err
	}
	if cursor != "" && !app.ValidID(app.PrefixMedia, cursor) {
		return app.Invalid(app.FieldError{Field: "cursor", Message: "is not a cursor this API gave out"})
	}
	q := r.URL.Query()
	f := store.MediaFilter{Kind: app.MediaKind(q.Get("kind")), Status: q.Get("status"), Search: q.Get("q"), Limit: limit, Cursor: cursor}
	switch f.Kind {
	case "", app.MediaImage, app.MediaVideo, app.MediaAudio, app.MediaDocument:
	default:
		return app.Invalid(app.FieldError{Field: "kind", Message: "must be image, video, audio or document"})
	}
	switch f.Status {
	case "", app.MediaProcessing, app.MediaReady, app.MediaFailed:
	default:
		return app.Invalid(app.FieldError{Field: "status", Message: "must be processing, ready or failed"})
	}
	if fe := app.CheckText("q", f.Search, 200, false); fe != nil {
		return app.Invalid(*fe)
	}
	ms, next, err := s.db.ListMedia(r.Context(), f)
	if err != nil {
		return err
	}
	out := struct {
		Data       []mediaJSON `json:"data"`
		NextCursor *string     `json:"next_cursor"`
	}{NextCursor: cursorOf(next), Data: make([]mediaJSON, len(ms))}
	for i, m := range ms {
		out.Data[i] = newMediaJSON(m, nil)
		out.Data[i].UsedBy = nil // a list does not look up every record's uses
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// apiUpdateMedia changes what can change of a media record: its alt text.
func (s *Server) apiUpdateMedia(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, app.PrefixMedia, "media")
	if err != nil {
		return err
	}
	var in struct {
		Alt *string `json:"alt"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.Alt == nil {
		return app.Invalid(app.FieldError{Field: "alt", Message: "is required: what the file shows, or \"\" for nothing"})
	}
	m, err := s.media.SetAlt(r.Context(), id, *in.Alt)
	if err != nil {
		return err
	}
	return s.writeMedia(w, r, http.StatusOK, m)
}

func (s *Server) apiDeleteMedia(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, app.PrefixMedia, "media")
	if err != nil {
		return err
	}
	force := false
	if v := r.URL.Query().Get("force"); v != "" {
		if force, err = strconv.ParseBool(v); err != nil {
			return app.Invalid(app.FieldError{Field: "force", Message: "must be true or false"})
		}
	}
	if err := s.media.Delete(r.Context(), id, force); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// serveMedia serves a stored file: /media/{id} is the file itself, except
// for pictures, whose original is never served (it may carry the place it
// was taken, in its metadata): their /media/{id} is the large variant, and
// /media/{id}/{variant} each variant. Every answer is cacheable for good,
// since a record's bytes never change, and supports ranges.
func (s *Server) serveMedia(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, app.PrefixMedia, "media")
	if err != nil {
		return err
	}
	variant := r.PathValue("variant")
	m, err := s.db.Media(r.Context(), id)
	if err != nil {
		return err
	}
	if m.Kind == app.MediaImage && variant == "" {
		variant = app.VariantLarge
	}
	var f *os.File
	name, ctype, etag := m.OriginalName, m.MIME, m.SHA256
	if variant != "" {
		if _, ok := m.Variants[variant]; !ok {
			if m.Status == app.MediaProcessing && m.Kind == app.MediaImage {
				w.Header().Set("Retry-After", "2")
				return app.Errorf(app.ENOTFOUND, "The picture is still being processed; its %s size is not ready yet.", variant)
			}
			return app.Errorf(app.ENOTFOUND, "This file has no %q size. Pictures have thumb, medium and large.", variant)
		}
		f, err = s.media.Files().OpenVariant(m.StorageKey, variant)
		name = strings.TrimSuffix(name, extOf(name)) + "-" + variant + ".jpg"
		ctype, etag = "image/jpeg", m.SHA256+"-"+variant
	} else {
		f, err = s.media.Files().Open(m.StorageKey)
	}
	if err != nil {
		return err
	}
	defer f.Close()
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("ETag", `"`+etag+`"`)
	h.Set("Cache-Control", "private, max-age=31536000, immutable")
	h.Set("X-Content-Type-Options", "nosniff")
	// Nothing served here is a page: no script runs even if a browser
	// were talked into treating it as one.
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	disposition := "inline"
	if m.Kind == app.MediaDocument {
		disposition = "attachment"
	}
	h.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": name}))
	http.ServeContent(w, r, "", m.CreatedAt, f)
	return nil
}

// extOf is name's extension, if it has a short one.
func extOf(name string) string {
	if i := strings.LastIndexByte(name, '.'); i > 0 && len(name)-i <= 6 {
		return name[i:]
	}
	return ""
}
