// Package ui holds the admin panel's templ components. Components take the
// view data below, never domain types: handlers in web fill these from the
// store and render them.
package ui

// Layout is what every signed-in page shares.
type Layout struct {
	Title string
	// Nav is the active section: "dashboard", "media", "users", "keys", "audit", "queues".
	Nav  string
	User CurrentUser
	// Flash is a one-line notice at the top ("User added."), or "".
	Flash string
	// Error is a one-line error at the top, or "".
	Error string
	// Zone is the shop's timezone that the page's times are in, named at
	// the foot of the page; "" on pages that show none.
	Zone string
}

// CurrentUser is who is signed in.
type CurrentUser struct {
	Email string
	Name  string
	Role  string // owner, operator, viewer
}

// CanOperate reports whether the user may change operational state (retry
// jobs and the like): operators and owners.
func (u CurrentUser) CanOperate() bool { return u.Role == "owner" || u.Role == "operator" }

// CanAdmin reports whether the user may manage users and API keys: owners.
func (u CurrentUser) CanAdmin() bool { return u.Role == "owner" }

// LoginPage is the sign-in form. Posts email, password to /login.
type LoginPage struct {
	Email string
	Error string
	// Next is where to go after signing in (a local path), sent back as a hidden field.
	Next string
}

// SetupPage creates the first owner. Posts token, email, name, password,
// password_confirm to /setup.
type SetupPage struct {
	Token string
	Email string
	Name  string
	// Timezone is the shop's timezone, the server's until the owner picks.
	Timezone string
	Error    string
}

// SettingsPage is the shop's settings, for owners.
type SettingsPage struct {
	Layout
	Timezone string
	// Currency is the shop's ISO 4217 code, "" until set.
	Currency string
	// Locale is how messages write numbers and dates: en, en-US, de or fr.
	Locale string
}

// Counter is one figure on the dashboard.
type Counter struct {
	ID    string // stable element id suffix, e.g. "events-today"
	Label string
	Value string
}

// QueueRow is one queue's figures.
type QueueRow struct {
	Name      string // the queue's name, for element ids
	Label     string // the queue in words: "Outgoing messages"
	Depth     int64
	Scheduled int64
	InFlight  int64
	Dead      int64
	Processed int64
	Failed    int64
}

// EventRow is one event in the live feed.
type EventRow struct {
	ID      string
	Type    string // the event type, e.g. "order_status_changed"
	Kind    string // a short label: "Order", "Message", "Product"
	Time    string // display form
	Summary string // one sentence, e.g. "Order SB-000123 confirmed"
}

// DashboardPage: counters, queue depths, live event feed. The page opens
// GET /dashboard/stream (Datastar SSE), which patches #counters, #queues and
// #events when they change.
type DashboardPage struct {
	Layout   Layout
	Counters []Counter
	Queues   []QueueRow
	Events   []EventRow
	// Connection is the WhatsApp card (inbox.templ); nil without messaging.
	Connection *ConnectionCard
}

// UserRow is one user in the users list.
type UserRow struct {
	ID          string
	Email       string
	Name        string
	Role        string
	CreatedAt   string
	LastLoginAt string // "" when never
	IsSelf      bool
}

// UsersPage lists users; owners get forms to add one (POST /users: email,
// name, role, password), change a role (POST /users/{id}/role: role), and
// remove one (POST /users/{id}/delete). Everyone gets "sign out everywhere"
// (POST /account/sessions/revoke).
type UsersPage struct {
	Layout Layout
	Users  []UserRow
}

// KeyRow is one API key.
type KeyRow struct {
	ID         string
	Name       string
	Prefix     string // the visible start of the key, e.g. "sb_live_ab12"
	Role       string
	Owner      string // email of the user who made it, or "CLI"
	CreatedAt  string
	ExpiresAt  string // "" when it never expires
	LastUsedAt string // "" when never used
	Status     string // "active", "expired", "revoked"
}

// KeysPage lists API keys; owners get a form to make one (POST /keys: name,
// role, expires_in_days, empty for never) and revoke buttons (POST
// /keys/{id}/revoke). NewKey is the whole key, shown once right after
// creation with a note that it will not be shown again.
type KeysPage struct {
	Layout Layout
	Keys   []KeyRow
	NewKey string
}

// AuditFilter is the audit page's filter form (GET /audit with these as
// query parameters: entity, entity_id, actor, action, since, until).
type AuditFilter struct {
	Entity   string
	EntityID string
	Actor    string
	Action   string
	Since    string // YYYY-MM-DD
	Until    string // YYYY-MM-DD
}

// DiffLine is one changed field of an audited change.
type DiffLine struct {
	Field  string
	Before string // "" when absent
	After  string // "" when absent
}

// AuditAction is one suggestion of the audit filter's action field.
type AuditAction struct {
	Name  string // "user.create"
	Words string // "User added"
}

// AuditRow is one audit log entry.
type AuditRow struct {
	ID        string
	Time      string
	Actor     string // "user alice@shop.test", "API key shop-sync", "system"
	Action    string // the action's name, e.g. "user.create"
	Words     string // the action for people: "User added"
	Subject   string // what it is about, by its human name: "ann@shop.example"; "" when unknown
	Entity    string
	EntityID  string
	RequestID string
	Diff      []DiffLine
}

// AuditPage: filter form, rows newest first, and a "Older" link to
// NextURL when there are more.
type AuditPage struct {
	Layout  Layout
	Filter  AuditFilter
	Actions []AuditAction // known actions for the filter's datalist
	Rows    []AuditRow
	NextURL string
}

// DeadRow is one dead letter.
type DeadRow struct {
	ID       string
	Queue    string // the queue in words
	Attempts int
	Error    string
	FailedAt string
	Body     string // shortened for display
}

// QueuesPage: a table of queues and the dead letters with Retry (POST
// /queues/dead/{id}/retry) and Discard (POST /queues/dead/{id}/discard)
// buttons for operators and owners. The page opens GET /queues/stream
// (Datastar SSE), which patches #queues and #dead-letters when they change.
type QueuesPage struct {
	Layout Layout
	Queues []QueueRow
	Dead   []DeadRow
}

// Title is the entry's heading: what happened, and to what ("User added:
// ann@shop.example").
func (r AuditRow) Title() string {
	if r.Subject == "" {
		return r.Words
	}
	return r.Words + ": " + r.Subject
}

// MediaCard is one file in the media library's grid.
type MediaCard struct {
	ID   string // for the element id, media-<ID>
	Name string // the file's name as it was uploaded
	// Kind is image, video, audio or document; KindLabel says it for
	// people: "Picture", "Video", "Audio", "PDF".
	Kind      string
	KindLabel string
	Status    string // processing, ready, failed
	Error     string // why it failed, a sentence; "" unless failed
	Size      string // "1.2 MB"
	// Thumb is the thumbnail's URL, "" unless a ready picture; ThumbWidth
	// and ThumbHeight are its pixels, 0 when unknown.
	Thumb                   string
	ThumbWidth, ThumbHeight int
	// Srcset offers the medium size beside the thumbnail, for sharp
	// cards on high-density screens; "" when there is none.
	Srcset string
	Alt    string // what the picture shows; "" when not said
	Href   string // the details page
}

// MediaGrid is the library's #media-grid fragment: the cards of one page,
// what to say when there are none, and the next page's link.
type MediaGrid struct {
	Cards []MediaCard
	// Empty is the sentence shown when there are no cards.
	Empty   string
	NextURL string // "" on the last page
}

// MediaFilter is one of the library's kind filters, a plain link.
type MediaFilter struct {
	Label   string // "Pictures"
	Href    string
	Current bool
}

// MediaUpload is the upload form (POST /library, multipart: alt, then
// file, one or several). Rules are the size caps in a sentence, shown
// before anyone picks a file.
type MediaUpload struct {
	Rules  string
	Accept string // the file input's accept attribute
	// Limits are the caps in bytes by kind, as JSON ({"image":5242880,…}),
	// so that panel.js refuses a file too big before sending it.
	Limits string
	Alt    string // sent back after a refusal
	AltMax int
}

// MediaLibraryPage is the media library: the upload form for operators and
// owners (nil for viewers), the kind filters and the grid. The page opens
// Stream (Datastar SSE), which patches #media-grid when it changes.
type MediaLibraryPage struct {
	Layout  Layout
	Upload  *MediaUpload
	Filters []MediaFilter
	Grid    MediaGrid
	Stream  string
}

// MediaFact is one line of a file's facts: "Size", "1.2 MB". Title, when
// set, is the whole value shown on hover (the full SHA-256).
type MediaFact struct {
	Label, Value, Title string
}

// MediaVariantRow is one stored size of a picture.
type MediaVariantRow struct {
	Label      string // "Thumbnail"
	Dimensions string // "150 × 100 px"
	Size       string // "5 KB"
	Href       string
}

// MediaUseRow is one thing that uses a file: a product or a template.
type MediaUseRow struct {
	Kind string // "Product", "Template"
	Name string
}

// MediaDetails is the details page's #media-details fragment.
type MediaDetails struct {
	ID        string
	Name      string
	Kind      string // image, video, audio, document
	KindLabel string
	Status    string
	Error     string
	Alt       string
	// Preview is the picture to show (its medium size) with its pixels, or
	// for video and audio the file to play; "" when there is none yet.
	Preview                     string
	PreviewWidth, PreviewHeight int
	// File is the file itself (a picture's large size); FileSize its size.
	File     string
	FileSize string
	Facts    []MediaFact
	Variants []MediaVariantRow
	Uses     []MediaUseRow
}

// MediaDetailsPage shows one file; operators and owners get its Delete
// link. The page opens Stream, which patches #media-details when the file
// changes (processing ends, a product starts using it).
type MediaDetailsPage struct {
	Layout    Layout
	Details   MediaDetails
	DeleteURL string // "" for viewers
	Stream    string
}

// MediaDeletePage asks before deleting a file. Uses are the products that
// lose it (a forced delete takes it off them); Blocked the templates whose
// header it is, which must change first: while there are any, no delete
// button is offered.
type MediaDeletePage struct {
	Layout Layout
	Name   string
	// Thumb is the picture's thumbnail, so that nobody deletes the wrong
	// one; "" for other files.
	Thumb   string
	Uses    []MediaUseRow
	Blocked []MediaUseRow
	Action  string
	Cancel  string
}

// TemplateRow is one template in the templates list.
type TemplateRow struct {
	ID, Name, Href string
	Kind           string // text, buttons, list, media
	Status         string // active, archived
	Saved          string // when the last version was saved, in the shop's zone
	Version        int
}

// TemplatesPage lists templates by name, with kind and status filters as
// links. CanEdit shows the "New template" link.
type TemplatesPage struct {
	Layout  Layout
	Kinds   []MediaFilter // reused: a label, a link, whether it is the current one
	Status  []MediaFilter
	Rows    []TemplateRow
	NextURL string
	Empty   string
	CanEdit bool
}

// TemplateChoice is one option of a select.
type TemplateChoice struct {
	Value, Label string
	Selected     bool
}

// TemplateButtonInput is one reply button's fields in the editor.
type TemplateButtonInput struct{ ID, Title string }

// TemplateSectionInput is one list section in the editor: its title and
// its rows, one a line as "id | title | description".
type TemplateSectionInput struct{ Title, Rows string }

// TemplateVariableInput is one variable's fields in the editor.
type TemplateVariableInput struct {
	Name, Type, Example, Default string
	Required                     bool
}

// TemplateForm is the editor's form, as typed: a refused save shows it
// again with the owner's text.
type TemplateForm struct {
	Name, Kind, DeliveryStyle, Category, Language string
	HeaderType                                    string // "", "text", "media"
	HeaderText, HeaderMedia                       string
	Body, Footer, ListButton, Note                string
	Triggers                                      []string
	Buttons                                       []TemplateButtonInput
	Sections                                      []TemplateSectionInput
	Variables                                     []TemplateVariableInput
}

// TemplateProblems are the messages of one part of the form ("body",
// "buttons", "list"…), shown beside it.
type TemplateProblems struct {
	Slot     string
	Messages []string
}

// TemplateCount is one length counter: "980/1024".
type TemplateCount struct {
	ID, Label string
	Length    int
	Max       int
}

// TemplatePreview is the WhatsApp-style preview of a draft: the form the
// customer receives in the phone (Shows), the plain-text fallback, lengths
// and every problem by the part of the form it is about.
type TemplatePreview struct {
	// Error is set when the draft cannot be shown at all.
	Error        string
	HeaderText   string
	HeaderFile   TemplateFile // a file header; zero for none or text
	Body, Footer string
	Buttons      []string
	ListButton   string
	Fallback     string // the numbered plain-text form
	Style        string // text, poll, interactive: the delivery style chosen
	// Shows is the form the phone shows, the one the customer receives:
	// "text" (the numbered plain text), "poll" or "interactive". It is
	// Style, except that a message without options, or a poll that cannot
	// be made, goes as text whatever the style.
	Shows string
	// SentAs says in a sentence how the message goes and how customers
	// answer it.
	SentAs   string
	Counts   []TemplateCount
	Problems []TemplateProblems
	Warnings []string
	// Poll is the poll form, shown in the phone instead of the bubble
	// when the template is sent as a poll; nil otherwise.
	Poll *TemplatePollView
	// Sheet is a list's opened menu: its sections and rows.
	Sheet []TemplateSheetSection
}

// TemplatePollView is a poll as WhatsApp shows it: the intro message sent
// just before it, when there is one, then the question and its options.
type TemplatePollView struct {
	Intro     bool
	IntroText string
	IntroFile TemplateFile
	Question  string
	Options   []string
}

// TemplateFile is a message's file header as the phone shows it.
type TemplateFile struct {
	Kind  string // image, video, document; "" for none
	Name  string // the file's name, for video and document headers
	Image string // a thumbnail URL for a picture that is ready
	// Pending is true while the media library is still processing the
	// file: the preview asks again until it is ready.
	Pending bool
	Failed  bool // the file could not be processed
}

// TemplateUpload is the editor's "upload a new file" beside the header's
// file picker: where panel.js sends the file (the media library's own
// upload API), what the picker offers, the size caps by kind (JSON) and
// the same in words.
type TemplateUpload struct {
	Endpoint, Accept, Limits, Rules string
}

// TemplateSheetSection is one section of a list's menu.
type TemplateSheetSection struct {
	Title string
	Rows  []TemplateSheetRow
}

// TemplateSheetRow is one row a customer can pick in a list's menu.
type TemplateSheetRow struct{ Title, Description string }

// TemplateEditorPage is the editor: GET /templates/new and
// /templates/{id}. Action is where the form posts; Version the version it
// was based on (0 for a new template). ReadOnly for viewers.
type TemplateEditorPage struct {
	Layout        Layout
	ID            string
	Action        string
	Version       int
	Status        string
	ReadOnly      bool
	Form          TemplateForm
	Kinds, Styles []TemplateChoice
	Files         []TemplateChoice // ready media files for a header
	Upload        *TemplateUpload  // nil for viewers
	VarTypes      []string
	Preview       TemplatePreview
	VersionsURL   string
	ArchiveURL    string // "" when archived or read-only
	Stale         string // the "someone saved meanwhile" message
	// Diff is set on a saved version's page: what differs from the
	// current version.
	Diff *TemplateDiff
	// SendTest is "send a test" to a simulator customer (template_send.templ);
	// nil unless the simulator is on and the template saved and active.
	SendTest *TemplateSendTest
}

// TemplateDiff is what changed between a saved version and the current
// one, field by field; fields that are equal are left out.
type TemplateDiff struct {
	Version, Current int
	CurrentURL       string
	// Name is the template's current name, and VersionsURL its versions'
	// page: the breadcrumb's links.
	Name, VersionsURL string
	Fields            []TemplateDiffField
}

// TemplateDiffField is one field that differs: Lines for a field of many
// lines (the body, buttons, rows, variables), Old and New for the others.
type TemplateDiffField struct {
	ID, Label string
	Old, New  string
	Lines     []TemplateDiffLine
}

// TemplateDiffLine is one line of a line diff: Op is "same", "removed"
// (only in the old version) or "added" (only in the new one).
type TemplateDiffLine struct{ Op, Text string }

// TemplateVersionRow is one saved version.
type TemplateVersionRow struct {
	Version          int
	When, By, Note   string
	Href, RestoreURL string // RestoreURL is "" for the current version or a viewer
	Current          bool
}

// TemplateVersionsPage lists a template's versions, newest first.
type TemplateVersionsPage struct {
	Layout   Layout
	Name     string
	Back     string
	Versions []TemplateVersionRow
}
