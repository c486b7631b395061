package app

import "time"

// MediaKind is what WhatsApp calls a file: it decides the size cap, and
// whether variants are made (images only).
type MediaKind string

const (
	MediaImage    MediaKind = "image"
	MediaVideo    MediaKind = "video"
	MediaAudio    MediaKind = "audio"
	MediaDocument MediaKind = "document"
)

// Media statuses: an upload is processing until its job has made its
// variants (or checked a non-image), then ready, or failed with a reason
// the owner can read.
const (
	MediaProcessing = "processing"
	MediaReady      = "ready"
	MediaFailed     = "failed"
)

// Variant names, smallest first. Every stored variant is a JPEG re-encoded
// from the upright image, with no metadata.
const (
	VariantThumb  = "thumb"  // 150 px on the long side
	VariantMedium = "medium" // 480 px
	VariantLarge  = "large"  // 1280 px
)

// ValidVariant reports whether name is one of the variant names above: the
// only names, beside the digest, that a stored file is ever called by.
func ValidVariant(name string) bool {
	switch name {
	case VariantThumb, VariantMedium, VariantLarge:
		return true
	}
	return false
}

// MediaVariantNames returns the variant names, smallest first.
func MediaVariantNames() []string {
	return []string{VariantThumb, VariantMedium, VariantLarge}
}

// Roles of a media file on a product: one primary picture (the one a list
// or a message shows), the rest its gallery.
const (
	MediaRolePrimary = "primary"
	MediaRoleGallery = "gallery"
)

// MediaAltMax is the most characters Media.Alt may have.
const MediaAltMax = 500

// Media is one uploaded file. Its bytes live under DATA_DIR/media at a
// place derived from SHA256 (StorageKey), never from OriginalName; the
// same bytes uploaded twice share one stored file.
type Media struct {
	ID           string                  `json:"id"`
	Status       string                  `json:"status"`
	MIME         string                  `json:"mime"` // sniffed from the bytes
	Kind         MediaKind               `json:"kind"`
	Size         int64                   `json:"size"`
	SHA256       string                  `json:"sha256"`
	Width        int                     `json:"width,omitempty"` // upright, for images and when known
	Height       int                     `json:"height,omitempty"`
	OriginalName string                  `json:"original_name"` // as sent, cleaned; shown, never used as a path
	Alt          string                  `json:"alt"`
	StorageKey   string                  `json:"-"`
	Variants     map[string]MediaVariant `json:"variants"`
	// Inline is WhatsApp's small JPEG thumbnail that image messages carry.
	Inline    []byte     `json:"-"`
	Error     string     `json:"error"`
	CreatedBy string     `json:"-"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
	DeletedAt *time.Time `json:"-"`
}

// MediaVariant is one stored variant of an image.
type MediaVariant struct {
	Width  int   `json:"width"`
	Height int   `json:"height"`
	Size   int64 `json:"size"`
}

// MediaUse is one thing that uses a media file, so that deleting it can
// say what would break.
type MediaUse struct {
	Type string `json:"type"` // product, template
	ID   string `json:"id"`
	Name string `json:"name"`
}
