// Package media is the MediaManager. It takes uploads and checks them by
// their bytes, never by their name or declared type; keeps them
// content-addressed under DATA_DIR/media, so the same bytes uploaded twice
// are stored once; makes the variants of pictures in the media_processing
// queue; and removes files that no record uses any more, after a grace
// period. The API, the panel and the bot call its Service; the pure
// engines (Sniff, ReadImageInfo, MakeVariants) work without a database.
//
// An upload goes through three steps. Receive streams the body into a
// temporary file, refusing it as soon as it is too big for its kind, and
// checks it (type, markup, image header, completeness): a refused upload
// leaves no file and no row. Create keeps the file at its content address
// and records it as processing, with a job, in one transaction. The job
// (Process) makes the variants and marks the record ready, or failed with
// a reason the owner can read; it may run twice after a crash and finishes
// the same way.
package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"smartbot/app"
	"smartbot/queue"
	"smartbot/store"
)

// DefaultGrace is how long a file no record uses stays on disk before the
// sweeper removes it: a backup that began before the last record went still
// needs it.
const DefaultGrace = 24 * time.Hour

// Options configure New. DB, Queues and Files are required.
type Options struct {
	DB     *store.DB
	Queues *queue.Queues
	Files  *Files
	// Limits are the size caps per kind; nil means DefaultLimits.
	Limits Limits
	// Grace is how long an unused file is kept; 0 means DefaultGrace.
	Grace time.Duration
	// Attach puts a new upload on a product (NewMedia.ProductID) inside
	// the upload's transaction. Give it the catalog's, so that the change
	// is told with product_updated like any other change of a product;
	// nil writes the link in the store directly, with no event.
	Attach func(ctx context.Context, tx *store.Tx, productID, mediaID string) error
	// MaxAttempts is the media_processing queue's attempts: the last one
	// that fails marks the record failed instead of leaving it processing.
	// 0 means the queue's default.
	MaxAttempts int
}

// Service runs the media use cases.
type Service struct {
	db          *store.DB
	queues      *queue.Queues
	files       *Files
	limits      Limits
	grace       time.Duration
	maxAttempts int
	attach      func(ctx context.Context, tx *store.Tx, productID, mediaID string) error
	// crashAt, set only by the crash test, runs at each step of Process.
	crashAt func(step string)
}

// New returns the media service.
func New(opts Options) *Service {
	s := &Service{db: opts.DB, queues: opts.Queues, files: opts.Files, limits: opts.Limits,
		grace: opts.Grace, maxAttempts: opts.MaxAttempts, attach: opts.Attach}
	if s.attach == nil {
		s.attach = func(ctx context.Context, tx *store.Tx, productID, mediaID string) error {
			return tx.AttachProductMedia(ctx, productID, mediaID, "")
		}
	}
	if s.limits == nil {
		s.limits = DefaultLimits
	}
	if s.grace <= 0 {
		s.grace = DefaultGrace
	}
	if s.maxAttempts <= 0 {
		s.maxAttempts = 8
	}
	return s
}

// Limits returns the size caps the service enforces.
func (s *Service) Limits() Limits { return s.limits }

// Upload is a received file that passed every check, not yet kept. Create
// keeps it; Discard throws it away. One of the two must be called.
type Upload struct {
	files *Files
	rc    Received
	typ   Type
	info  ImageInfo
	name  string
	done  bool
}

// Type is the upload's type as its bytes show it.
func (u *Upload) Type() Type { return u.typ }

// Size is the upload's length in bytes.
func (u *Upload) Size() int64 { return u.rc.Size }

// Name is the file name the upload was sent with, cleaned for display.
func (u *Upload) Name() string { return u.name }

// Discard removes the upload's temporary file, unless Create kept it.
func (u *Upload) Discard() {
	if u != nil && !u.done {
		u.done = true
		u.files.Discard(u.rc)
	}
}

// Receive streams r, an upload sent as name, into a temporary file and
// checks it: its type from its first bytes, the size cap of its kind
// (enforced while it arrives: a body over the cap is not read further),
// markup hidden in it, and for pictures the header's dimensions and that
// the file is whole. A refused upload is an *app.Error (EUNSUPPORTED,
// ETOOLARGE or EINVALID) and leaves nothing behind.
func (s *Service) Receive(ctx context.Context, r io.Reader, name string) (*Upload, error) {
	// Browsers and HTTP tools send a file's own name; a name with folders
	// in it (../../etc/passwd) is a client trying something. It would
	// never be used as a path, but nothing good comes of accepting it.
	if strings.ContainsAny(name, `/\`) {
		return nil, app.Invalid(app.FieldError{Field: "file", Message: fmt.Sprintf("has a file name with folders in it (%q); send the file under its own name", name)})
	}
	var markup edgeScanner
	g := &gate{r: r, ctx: ctx, limits: s.limits}
	rc, err := s.files.Receive(g, s.limits.Max(), &markup)
	if err != nil {
		if g.err != nil {
			return nil, g.err
		}
		return nil, err
	}
	u := &Upload{files: s.files, rc: rc, name: CleanName(name)}
	if err := s.check(u, &markup); err != nil {
		u.Discard()
		return nil, err
	}
	if u.name == "" {
		u.name = "upload" + u.typ.Ext
	}
	return u, nil
}

func (s *Service) check(u *Upload, markup *edgeScanner) error {
	t, err := Sniff(u.rc.Head)
	if err != nil {
		return err
	}
	u.typ = t
	if err := s.limits.Check(t, u.rc.Size); err != nil {
		return err
	}
	if m := markup.Found(); m != "" {
		return app.Errorf(app.EUNSUPPORTED, "The file is %s but also holds web page code (%q); files like that can trick browsers and are refused. Export the file again from the app that made it.", describe(t), m)
	}
	if t.Kind != app.MediaImage {
		return nil
	}
	f, err := os.Open(u.rc.Path)
	if err != nil {
		return fmt.Errorf("media: open received file: %w", err)
	}
	defer f.Close()
	info, err := ReadImageInfo(t, f)
	if err != nil {
		return err
	}
	if err := CheckImageSize(info); err != nil {
		return err
	}
	u.info = info
	return checkWhole(t, f, u.rc.Size)
}

// scanEdge is how much of each end of an upload is scanned for markup.
// Markup a browser could act on sits at a file's start, where browsers
// sniff and metadata lives, or is appended after its end; scanning the
// middle of a 100 MB document as well would refuse about one honest one in
// 200 by chance (see MarkupScanner).
const scanEdge = 256 << 10

// edgeScanner scans the first and the last scanEdge bytes written to it.
type edgeScanner struct {
	head MarkupScanner
	n    int64
	tail []byte // the last bytes written: at least scanEdge once there are as many
}

func (e *edgeScanner) Write(p []byte) (int, error) {
	if e.n < scanEdge {
		e.head.Write(p[:min(int64(len(p)), scanEdge-e.n)])
	}
	e.n += int64(len(p))
	if len(p) >= scanEdge {
		e.tail = append(e.tail[:0], p[len(p)-scanEdge:]...)
		return len(p), nil
	}
	if len(e.tail)+len(p) > 2*scanEdge {
		keep := copy(e.tail, e.tail[len(e.tail)-(scanEdge-len(p)):])
		e.tail = e.tail[:keep]
	}
	e.tail = append(e.tail, p...)
	return len(p), nil
}

// Found returns the first marker in the head, else in the tail, or "".
func (e *edgeScanner) Found() string {
	if f := e.head.Found(); f != "" {
		return f
	}
	var tail MarkupScanner
	tail.Write(e.tail[max(len(e.tail)-scanEdge, 0):])
	return tail.Found()
}

// describe names a type for a sentence: "a JPEG picture".
func describe(t Type) string {
	sub := strings.ToUpper(strings.TrimPrefix(t.Ext, "."))
	switch t.Kind {
	case app.MediaImage:
		return "a " + sub + " picture"
	case app.MediaVideo:
		return "an " + sub + " video"
	case app.MediaAudio:
		return "an audio file (" + t.MIME + ")"
	}
	return "a " + sub + " document"
}

// checkWhole refuses a picture whose end is missing, which its header alone
// does not show: a JPEG ends with its EOI marker, a PNG with its IEND chunk,
// a GIF with its trailer byte, and a WebP's RIFF size covers the file.
func checkWhole(t Type, f *os.File, size int64) error {
	tail := make([]byte, min(size, 16))
	if _, err := f.ReadAt(tail, size-int64(len(tail))); err != nil {
		return fmt.Errorf("media: read the end of the received file: %w", err)
	}
	cut := app.Errorf(app.EINVALID, "The %s is cut short: its end is missing. Upload it again, or export it again from the app that made it.", strings.TrimPrefix(describe(t), "a "))
	switch t.MIME {
	case "image/jpeg":
		// Some cameras pad after the end marker; the marker must still be there.
		end := strings.TrimRight(string(tail), "\x00")
		if !strings.HasSuffix(end, "\xff\xd9") {
			return cut
		}
	case "image/png":
		if !strings.HasSuffix(string(tail), "IEND\xae\x42\x60\x82") {
			return cut
		}
	case "image/gif":
		if tail[len(tail)-1] != 0x3b {
			return cut
		}
	case "image/webp":
		head := make([]byte, 8)
		if _, err := f.ReadAt(head, 0); err != nil {
			return fmt.Errorf("media: read the received file: %w", err)
		}
		riff := int64(head[4]) | int64(head[5])<<8 | int64(head[6])<<16 | int64(head[7])<<24
		if riff+8 > size {
			return cut
		}
	}
	return nil
}

// gate passes an upload through, sniffing its first SniffLen bytes: from
// then on the cap of its kind applies, so a 6 MB picture stops at 5 MB
// rather than at the largest cap of all. It also ends the upload when ctx
// is done.
type gate struct {
	r      io.Reader
	ctx    context.Context
	limits Limits
	head   []byte
	cap    int64 // 0 until the kind is known
	n      int64
	err    error // the refusal, kept so that Receive returns it as it is
}

func (g *gate) Read(p []byte) (int, error) {
	if err := g.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := g.r.Read(p)
	g.n += int64(n)
	if g.cap == 0 {
		g.head = append(g.head, p[:min(n, SniffLen-len(g.head))]...)
		if len(g.head) == SniffLen || err != nil {
			if t, serr := Sniff(g.head); serr == nil {
				g.cap = g.limits.For(t.Kind)
			} else {
				g.cap = -1 // refused by check once received: the largest cap applies
			}
		}
	}
	if g.cap > 0 && g.n > g.cap {
		t, _ := Sniff(g.head)
		g.err = g.limits.Check(t, g.n)
		return n, g.err
	}
	return n, err
}

// CleanName makes a file name as sent fit to show and to offer as a
// download name: no folders (a name like ../../etc/passwd becomes passwd),
// no control characters, at most 255 bytes. It is never used as a path.
func CleanName(name string) string {
	name = strings.ReplaceAll(name, `\`, "/")
	name = path.Base(strings.TrimRight(name, "/"))
	if name == "." || name == ".." || name == "/" {
		name = ""
	}
	name = strings.Map(func(r rune) rune {
		if r == utf8.RuneError || unicode.IsControl(r) || r == '"' {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	for len(name) > 255 {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	return name
}

// NewMedia is what Create records beside the file.
type NewMedia struct {
	Alt string
	// ProductID, when set, attaches the file to that product: its primary
	// picture when it has none yet, else the last of its gallery.
	ProductID string
}

// Create keeps u at its content address and records it as processing,
// with a media_processing job, in one transaction.
func (s *Service) Create(ctx context.Context, u *Upload, in NewMedia) (m app.Media, err error) {
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		m, err = s.CreateTx(ctx, tx, u, in)
		return err
	})
	return m, err
}

// CreateTx is Create inside tx. The file is kept before the row is written:
// if tx rolls back, the kept file has no record and the sweeper removes it
// after the grace period.
func (s *Service) CreateTx(ctx context.Context, tx *store.Tx, u *Upload, in NewMedia) (app.Media, error) {
	in.Alt = strings.TrimSpace(in.Alt)
	if fe := app.CheckText("alt", in.Alt, app.MediaAltMax, false); fe != nil {
		u.Discard()
		return app.Media{}, app.Invalid(*fe)
	}
	if in.ProductID != "" && u.typ.Kind != app.MediaImage && u.typ.Kind != app.MediaVideo {
		u.Discard()
		return app.Media{}, app.Invalid(app.FieldError{Field: "product_id", Message: "cannot take this file: a product shows pictures and videos only"})
	}
	if u.done {
		return app.Media{}, errors.New("media: create: the upload was kept or discarded already")
	}
	key, err := s.files.Keep(u.rc)
	u.done = true
	if err != nil {
		return app.Media{}, err
	}
	w, h := u.info.Upright()
	m := app.Media{ID: app.NewID(app.PrefixMedia), Status: app.MediaProcessing, MIME: u.typ.MIME, Kind: u.typ.Kind,
		Size: u.rc.Size, SHA256: u.rc.SHA256, Width: w, Height: h, OriginalName: u.name, Alt: in.Alt,
		StorageKey: key, Variants: map[string]app.MediaVariant{}}
	if a := app.ActorFrom(ctx); a.ID != "" {
		m.CreatedBy = a.Type + ":" + a.ID
	}
	if err := tx.CreateMedia(ctx, &m); err != nil {
		return m, err
	}
	if in.ProductID != "" {
		if err := s.attachTo(ctx, tx, in.ProductID, m.ID); err != nil {
			return m, err
		}
	}
	if err := s.queues.Send(ctx, tx, queue.MediaProcessing, []byte(m.ID)); err != nil {
		return m, err
	}
	return m, nil
}

// Files returns where the service keeps its files, for serving them.
func (s *Service) Files() *Files { return s.files }

// Media returns the record with id (the messaging service reads it).
func (s *Service) Media(ctx context.Context, id string) (app.Media, error) {
	return s.db.Media(ctx, id)
}

// SendPath is the file to send to WhatsApp for m: a picture's large
// variant (upright, no metadata, at most 1280 px), any other file as it
// was uploaded. The file must be there.
func (s *Service) SendPath(m app.Media) (string, error) {
	open := func() (*os.File, error) { return s.files.Open(m.StorageKey) }
	if m.Kind == app.MediaImage && m.Variants[app.VariantLarge].Size > 0 {
		open = func() (*os.File, error) { return s.files.OpenVariant(m.StorageKey, app.VariantLarge) }
	}
	f, err := open()
	if err != nil {
		return "", err
	}
	defer f.Close()
	return f.Name(), nil
}
