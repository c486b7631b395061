package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/a-h/templ"

	"smartbot/app"
	"smartbot/app/media"
	"smartbot/store"
	"smartbot/web/ui"
)

// The media library: the pictures, videos, voice notes and PDFs the shop
// shows on products and sends in messages. A live grid of them, a page per
// file, uploads and deletion. The upload form is a plain multipart form
// that posts here; panel.js sends each file to the API instead
// (api_media.go), to show its progress. Either way the media service checks
// the file, and the grid's stream shows it once it is processed.

// libraryPageSize is how many files a page of the library shows.
const libraryPageSize = 48

// mediaAccept is the upload input's accept attribute: what Smartbot takes.
// The service checks the bytes whatever a browser lets through.
const mediaAccept = "image/jpeg,image/png,image/webp,image/gif,video/mp4,audio/*,application/pdf"

// mediaFilters are the library's kind filters, in order.
var mediaFilters = []struct {
	kind  app.MediaKind
	label string
}{
	{"", "All"}, {app.MediaImage, "Pictures"}, {app.MediaVideo, "Videos"}, {app.MediaAudio, "Audio"}, {app.MediaDocument, "Documents"},
}

// libraryQuery is what a library page shows: one kind or all, from a
// cursor or the newest. Anything else in the URL is ignored, so an old or
// mistyped link still shows the library.
type libraryQuery struct {
	kind   app.MediaKind
	cursor string
}

func parseLibraryQuery(r *http.Request) libraryQuery {
	q := r.URL.Query()
	var lq libraryQuery
	if k := app.MediaKind(q.Get("kind")); mediaKindWords[k][0] != "" {
		lq.kind = k
	}
	if c := q.Get("cursor"); app.ValidID(app.PrefixMedia, c) {
		lq.cursor = c
	}
	return lq
}

// url is path with the query's kind and the given cursor.
func (q libraryQuery) url(path, cursor string) string {
	v := url.Values{}
	if q.kind != "" {
		v.Set("kind", string(q.kind))
	}
	if cursor != "" {
		v.Set("cursor", cursor)
	}
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

func mediaPath(id string, more ...string) string {
	return strings.Join(append([]string{"/library", url.PathEscape(id)}, more...), "/")
}

func fileURL(id string, variant ...string) string {
	return strings.Join(append([]string{"/media", url.PathEscape(id)}, variant...), "/")
}

func (s *Server) pageLibrary(w http.ResponseWriter, r *http.Request) error {
	return s.renderLibrary(w, r, http.StatusOK, "", "")
}

// renderLibrary shows the library with errMsg as the page's error (a
// refused upload) and alt back in the upload form.
func (s *Server) renderLibrary(w http.ResponseWriter, r *http.Request, status int, errMsg, alt string) error {
	q := parseLibraryQuery(r)
	l, _ := s.frame(w, r, "Media", "media")
	l.Error, l.Zone = errMsg, "" // the grid shows no times
	canUpload := l.User.CanOperate()
	grid, err := s.mediaGrid(r.Context(), q, canUpload)
	if err != nil {
		return err
	}
	p := ui.MediaLibraryPage{Layout: l, Grid: grid, Stream: q.url("/library/stream", q.cursor)}
	for _, f := range mediaFilters {
		p.Filters = append(p.Filters, ui.MediaFilter{Label: f.label, Href: libraryQuery{kind: f.kind}.url("/library", ""), Current: f.kind == q.kind})
	}
	if canUpload {
		p.Upload = &ui.MediaUpload{Rules: s.uploadRules(), Accept: mediaAccept, Alt: alt, AltMax: app.MediaAltMax, Limits: s.uploadLimits()}
	}
	return render(w, r, status, ui.MediaLibrary(p))
}

// uploadRules says what may be uploaded, before anyone tries.
func (s *Server) uploadRules() string {
	l := s.media.Limits()
	video, audio := fileSize(l.For(app.MediaVideo)), fileSize(l.For(app.MediaAudio))
	avs := "MP4 videos up to " + video + ", audio (MP3, M4A, AAC or an OGG voice note) up to " + audio
	if video == audio {
		avs = "MP4 videos and audio (MP3, M4A, AAC or an OGG voice note) up to " + video
	}
	return "Pictures (JPEG, PNG, WebP or GIF) up to " + fileSize(l.For(app.MediaImage)) + ", " + avs +
		", and PDF documents up to " + fileSize(l.For(app.MediaDocument)) + "."
}

// uploadLimits are the size caps by kind as JSON, for panel.js.
func (s *Server) uploadLimits() string {
	l := s.media.Limits()
	return fmt.Sprintf(`{"image":%d,"video":%d,"audio":%d,"document":%d}`,
		l.For(app.MediaImage), l.For(app.MediaVideo), l.For(app.MediaAudio), l.For(app.MediaDocument))
}

// mediaGrid reads one page of the library as its grid shows it.
func (s *Server) mediaGrid(ctx context.Context, q libraryQuery, canUpload bool) (ui.MediaGrid, error) {
	list, next, err := s.db.ListMedia(ctx, store.MediaFilter{Kind: q.kind, Limit: libraryPageSize, Cursor: q.cursor})
	if err != nil {
		return ui.MediaGrid{}, err
	}
	g := ui.MediaGrid{Cards: make([]ui.MediaCard, len(list))}
	for i, m := range list {
		g.Cards[i] = mediaCard(m)
	}
	if next != "" {
		g.NextURL = q.url("/library", next)
	}
	switch {
	case q.cursor != "":
		g.Empty = "No older files."
	case q.kind != "":
		g.Empty = "No " + mediaKindWords[q.kind][1] + " yet."
	default:
		g.Empty = "No pictures or files yet. Pictures for your products and message headers, videos, voice notes and PDF price lists are kept here, ready to send on WhatsApp."
	}
	if q.cursor == "" {
		if canUpload {
			g.Empty += " Add the first one with Choose files above."
		} else {
			g.Empty += " An operator or the owner can add them."
		}
	}
	return g, nil
}

func mediaCard(m app.Media) ui.MediaCard {
	c := ui.MediaCard{ID: m.ID, Name: mediaName(m), Kind: string(m.Kind), KindLabel: mediaKindLabel(m), Status: m.Status,
		Size: fileSize(m.Size), Alt: m.Alt, Href: mediaPath(m.ID)}
	if m.Status == app.MediaFailed {
		c.Error = mediaFailure(m)
	}
	if v, ok := m.Variants[app.VariantThumb]; ok && m.Kind == app.MediaImage && m.Status == app.MediaReady {
		c.Thumb, c.ThumbWidth, c.ThumbHeight = fileURL(m.ID, app.VariantThumb), v.Width, v.Height
		if med, ok := m.Variants[app.VariantMedium]; ok && med.Width > v.Width {
			c.Srcset = fmt.Sprintf("%s %dw, %s %dw", c.Thumb, v.Width, fileURL(m.ID, app.VariantMedium), med.Width)
		}
	}
	return c
}

// mediaName is the file's name as uploaded; the service always gives one.
func mediaName(m app.Media) string { return orDefault(m.OriginalName, "Untitled file") }

func mediaFailure(m app.Media) string {
	return sentence(orDefault(m.Error, "The file could not be processed; upload it again."))
}

func (s *Server) streamLibrary(w http.ResponseWriter, r *http.Request) error {
	q := parseLibraryQuery(r)
	canUpload := layout(r, "", "").User.CanOperate()
	return s.live(w, r, nil, func(ctx context.Context, st *stream) error {
		// Files have no events: the refresh reads the page again, and the
		// grid goes out only when something on it changed (a new upload, a
		// file done processing).
		g, err := s.mediaGrid(ctx, q, canUpload)
		if err != nil {
			return err
		}
		return st.patch(ctx, "media-grid", fragmentKey(ctx, g), func() templ.Component { return ui.MediaCards(g) })
	}, nil)
}

// postLibrary takes the upload form without JavaScript: one file or
// several, and an optional description for all of them. Each file is
// checked as it arrives; those that pass are kept after the whole form is
// read (the description may come after them), those refused are named
// with the reason. Any kept: back to the library with a notice. None: the
// library again, with the reasons as the page's error.
func (s *Server) postLibrary(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	mr, err := r.MultipartReader()
	if err != nil {
		return s.renderLibrary(w, r, http.StatusBadRequest, "Choose a file to upload, then press Upload.", "")
	}
	var ups []*media.Upload
	defer func() {
		for _, up := range ups {
			up.Discard()
		}
	}()
	var alt string
	var refused []string
	status := 0
	refuse := func(name string, err error) {
		if status == 0 {
			status = statusOf[app.ErrorCode(err)]
		}
		refused = append(refused, refusal(name, err))
	}
read:
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			if err = uploadError(err); app.ErrorCode(err) == app.EINTERNAL {
				return err
			}
			if len(refused) == 0 {
				// Else the refusal of the file it broke off in says why.
				refuse("", err)
			}
			break
		}
		switch part.FormName() {
		case "file":
			if part.FileName() == "" {
				continue // the file input, left empty
			}
			up, err := s.media.Receive(ctx, part, part.FileName())
			if err != nil {
				if err = uploadError(err); app.ErrorCode(err) == app.EINTERNAL {
					return err
				}
				refuse(media.CleanName(part.FileName()), err)
				continue
			}
			ups = append(ups, up)
		case "alt":
			if alt, err = formValue(part, "alt", 4*app.MediaAltMax); err != nil {
				refuse("", err)
				break read
			}
		}
	}
	if len(ups) == 0 && len(refused) == 0 {
		return s.renderLibrary(w, r, http.StatusUnprocessableEntity, "Choose a file to upload: a picture, a video, an audio file or a PDF.", alt)
	}
	var kept []string
	for _, up := range ups {
		m, err := s.media.Create(ctx, up, media.NewMedia{Alt: alt})
		if err != nil {
			if app.ErrorCode(err) != app.EINVALID {
				return err
			}
			refuse(up.Name(), err)
			continue
		}
		kept = append(kept, mediaName(m))
	}
	if len(kept) == 0 {
		return s.renderLibrary(w, r, status, strings.Join(refused, " "), alt)
	}
	notice := "Uploaded " + kept[0] + ". It is being processed."
	if len(kept) > 1 {
		notice = "Uploaded " + strconv.Itoa(len(kept)) + " files: " + listWords(kept) + ". They are being processed."
	}
	return s.done(w, r, "/library", flash{notice: strings.Join(append([]string{notice}, refused...), " ")})
}

// refusal says why the file name was not uploaded, in sentences: "big.jpg
// was not uploaded. The picture is 6.1 MB; Smartbot takes pictures of at
// most 5 MB."
func refusal(name string, err error) string {
	msg := app.ErrorMessage(err)
	// A refusal about one field reads "file: has a name…"; make it "The
	// file has a name…".
	var ae *app.Error
	if errors.As(err, &ae) && len(ae.Fields) == 1 && msg == ae.Fields[0].Field+": "+ae.Fields[0].Message {
		field := ae.Fields[0].Field
		if field == "alt" {
			field = "description"
		}
		msg = "The " + field + " " + ae.Fields[0].Message
	}
	if name == "" {
		return sentence(msg)
	}
	return name + " was not uploaded. " + sentence(msg)
}

// listWords joins names for a sentence: "a, b and c".
func listWords(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
