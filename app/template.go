package app

import (
	"encoding/json"
	"time"
)

// Template kinds. A text template is one plain message; buttons adds one
// to three reply buttons; list adds a menu button that opens sections of
// rows; media leads with a picture, video or document from the media
// library, its body the caption, with optional reply buttons.
const (
	TemplateKindText    = "text"
	TemplateKindButtons = "buttons"
	TemplateKindList    = "list"
	TemplateKindMedia   = "media"
)

// Delivery styles: how a template's options reach the customer.
// Interactive messages (buttons, lists) are not reliably shown to regular
// WhatsApp accounts, so the default is a numbered text; a poll is the
// other form every WhatsApp client shows.
const (
	TemplateDeliveryText        = "text"
	TemplateDeliveryPoll        = "poll"
	TemplateDeliveryInteractive = "interactive"
)

// Template statuses: an archived template is kept, with its versions, but
// no longer offered to the bot or the senders.
const (
	TemplateActive   = "active"
	TemplateArchived = "archived"
)

// Template categories, as WhatsApp Business files them.
const (
	TemplateCategoryMarketing      = "marketing"
	TemplateCategoryUtility        = "utility"
	TemplateCategoryAuthentication = "authentication"
)

// Header types: a text line, or a file of that kind from the media library.
const (
	TemplateHeaderText     = "text"
	TemplateHeaderImage    = "image"
	TemplateHeaderVideo    = "video"
	TemplateHeaderDocument = "document"
)

// Variable types: what a placeholder's value must be and how it is written.
// Money is minor units with a currency, a date is a calendar day or a
// moment shown in the shop's timezone.
const (
	TemplateVarText   = "text"
	TemplateVarNumber = "number"
	TemplateVarMoney  = "money"
	TemplateVarDate   = "date"
)

// Template is a message a shop sends: its text with {{name}} placeholders,
// and, depending on Kind, reply buttons, a list, or a media header. Every
// save is a new Version; the JSON field names are the API's contract
// (DESIGN.md §13). Rules and rendering live in app/template.
type Template struct {
	ID            string             `json:"id"`
	Name          string             `json:"name"`
	Kind          string             `json:"kind"`
	Category      string             `json:"category"`
	Language      string             `json:"language"`
	Header        *TemplateHeader    `json:"header"`
	Body          string             `json:"body"`
	Footer        string             `json:"footer"`
	Buttons       []TemplateButton   `json:"buttons"`
	List          *TemplateList      `json:"list"`
	Variables     []TemplateVariable `json:"variables"`
	DeliveryStyle string             `json:"delivery_style"`
	// Triggers are keywords that make the bot send this template.
	Triggers  []string  `json:"triggers"`
	Version   int       `json:"version"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// TemplateHeader is the line above the body: Text for a text header,
// MediaID (med_…) for an image, video or document.
type TemplateHeader struct {
	Type    string `json:"type"`
	Text    string `json:"text,omitempty"`
	MediaID string `json:"media_id,omitempty"`
}

// TemplateButton is one reply button. ID is what a tap sends back; Title
// is what the customer reads.
type TemplateButton struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// TemplateList is a list message's menu: Button opens it, the sections
// hold the rows a customer picks from.
type TemplateList struct {
	Button   string            `json:"button"`
	Sections []TemplateSection `json:"sections"`
}

// TemplateSection is a titled group of rows in a list.
type TemplateSection struct {
	Title string        `json:"title"`
	Rows  []TemplateRow `json:"rows"`
}

// TemplateRow is one choice of a list. ID is what picking it sends back.
type TemplateRow struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

// TemplateVariable declares a {{Name}} placeholder.
//
// Default and Example are raw JSON because their shape follows Type: a
// string for text, a number for number, minor units (1250) or
// {"amount": 1250, "currency": "USD"} for money, "2026-03-05" or an RFC
// 3339 time for date. Raw JSON keeps them exactly as the client wrote
// them through the store's snapshots and back (no float64 rounding of
// large amounts, no re-spelling), so a version compares equal to what was
// saved; app/template decodes them once, when it compiles the template.
type TemplateVariable struct {
	Name     string          `json:"name"`
	Type     string          `json:"type"`
	Required bool            `json:"required"`
	Default  json.RawMessage `json:"default,omitempty"`
	Example  json.RawMessage `json:"example,omitempty"`
}

// Normalize fills the fields a client may leave out with their defaults,
// and nil lists with empty ones so that JSON shows [] rather than null.
func (t *Template) Normalize() {
	if t.Category == "" {
		t.Category = TemplateCategoryUtility
	}
	if t.Language == "" {
		t.Language = "en"
	}
	if t.DeliveryStyle == "" {
		t.DeliveryStyle = TemplateDeliveryText
	}
	if t.Status == "" {
		t.Status = TemplateActive
	}
	if t.Buttons == nil {
		t.Buttons = []TemplateButton{}
	}
	if t.Variables == nil {
		t.Variables = []TemplateVariable{}
	}
	if t.Triggers == nil {
		t.Triggers = []string{}
	}
}

// HeaderMediaID is the media file the header shows, or "" for none: what
// makes a media file "used by" this template.
func (t Template) HeaderMediaID() string {
	if t.Header == nil || t.Header.Type == TemplateHeaderText {
		return ""
	}
	return t.Header.MediaID
}
