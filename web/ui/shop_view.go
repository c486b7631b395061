package ui

// View data of the shop's pages: products, customers, deliveries and the
// courier's run sheet. Amounts and times come formatted in the shop's
// locale and timezone.

// ProductsPage is the catalog: filters, the live table, CSV.
type ProductsPage struct {
	Layout
	Filter  ProductFilterForm
	Table   ProductTable
	Stream  string
	CanEdit bool
	// ExportURL downloads the catalog as CSV.
	ExportURL string
	// Import is the CSV import's outcome after a refused file: every error
	// by line.
	ImportErrors []string
	ImportMax    string // the largest file, in words
}

// ProductFilterForm is the list's filter form (GET /products).
type ProductFilterForm struct {
	Category, Active, InStock, Search string
	Categories                        []string
}

// ProductTable is the #products fragment.
type ProductTable struct {
	Rows    []ProductRow
	NextURL string
	Empty   string
}

// ProductRow is one product of the table.
type ProductRow struct {
	ID, Href, Name, SKU, Category, Price, Stock string
	Thumb                                       string // "" without a ready picture
	Active                                      bool
	SoldOut                                     bool
}

// ProductEditPage is a product's form, new or saved.
type ProductEditPage struct {
	Layout
	ID     string // "" for a new product
	Action string
	Form   ProductForm
	// Problems are a refused save's messages by field name.
	Problems   map[string]string
	ReadOnly   bool
	ArchiveURL string
	Currencies []string
	Pictures   ProductPictures
	Stream     string
	Upload     *ProductUpload
}

// ProductForm is what the product form holds, as typed.
type ProductForm struct {
	Name, SKU, Description, Category, Price, Currency string
	Tracked                                           bool
	Stock                                             string
	Active                                            bool
}

// ProductPictures is the #product-pictures fragment: the product's
// pictures in order, and the library's ready pictures to add.
type ProductPictures struct {
	ProductID string
	Items     []ProductPicture
	Choices   []PictureChoice
	ReadOnly  bool
	Action    string // attach: POST media_id
}

// ProductPicture is one picture on a product, with its actions.
type ProductPicture struct {
	MediaID, Name, Thumb, Href string
	Primary                    bool
	Pending, Failed            bool
	First, Last                bool
	PrimaryURL, UpURL, DownURL string
	DetachURL                  string
}

// PictureChoice is a ready picture of the library the picker offers.
type PictureChoice struct {
	MediaID, Name, Thumb string
}

// ProductUpload is the picture upload on a product's page.
type ProductUpload struct {
	Action string
	Accept string
	Limits string
	Rules  string
}

// CustomersPage lists customers, the most recently active first.
type CustomersPage struct {
	Layout
	Search  string
	Rows    []CustomerRow
	NextURL string
	Empty   string
}

// CustomerRow is one customer of the list.
type CustomerRow struct {
	ID, Href, Name, Phone, Active string
	Test, OptOut                  bool
}

// CustomerPage is one customer: details, orders, messages and the form.
type CustomerPage struct {
	Layout
	ID, Name, Phone, FirstSeen, LastSeen, ChatURL string
	Test, OptOut                                  bool
	Orders                                        []CustomerOrderRow
	Messages                                      []CustomerMessageRow
	Form                                          CustomerForm
	ReadOnly                                      bool
}

// CustomerOrderRow is one of a customer's orders.
type CustomerOrderRow struct {
	Number, Href, Status, Payment, Total, Created string
}

// CustomerMessageRow is one of a customer's latest messages.
type CustomerMessageRow struct {
	ID, Time, Text string
	Out            bool
}

// CustomerForm is the customer's editable fields, as typed.
type CustomerForm struct {
	Action, Name, Notes string
	OptOut              bool
	Problems            map[string]string
}

// DeliveriesPage is a day's delivery tasks by status.
type DeliveriesPage struct {
	Layout
	Date, Today, PrevURL, NextURL, RunSheetURL string
	Couriers                                   []CourierSheet
	Board                                      DeliveryBoard
	Stream                                     string
	CanEdit                                    bool
	// Link is a courier link just made, shown once.
	Link string
}

// CourierSheet links to one courier's run sheet.
type CourierSheet struct {
	Name, Href string
}

// DeliveryBoard is the #deliveries fragment.
type DeliveryBoard struct {
	Groups []DeliveryGroup
	Empty  string
}

// DeliveryGroup is the tasks of one status.
type DeliveryGroup struct {
	Status, Label string
	Tasks         []DeliveryCard
}

// DeliveryCard is one delivery task with its forms.
type DeliveryCard struct {
	ID, OrderNumber, OrderHref, Address, Customer, CustomerPhone string
	Courier, CourierPhone, Time, Status, Notes                   string
	// TimeValue is the scheduled time as the assign form's field holds it.
	TimeValue string
	Moves     []DeliveryMove
	CanEdit   bool
	// Finished tasks take no courier, time or link.
	Finished bool
	// Date is the page's day, sent back by the forms to return to it.
	Date string
	// Problem is a refused assign's message, beside its form.
	Problem                       string
	AssignURL, StatusURL, LinkURL string
}

// DeliveryMove is one legal next status of a task.
type DeliveryMove struct {
	Status, Label string
	Danger        bool
}

// RunSheetPage is a courier's day, for paper or a phone.
type RunSheetPage struct {
	Title, Date, Courier, Zone, BackURL string
	Stops                               []RunSheetStop
	// Count is the stops in words: "3 stops".
	Count     string
	TotalCash string
}

// RunSheetStop is one delivery of the run sheet.
type RunSheetStop struct {
	N                                             int
	Time, Number, Customer, Phone, Address, Notes string
	Items                                         []string
	ToCollect                                     string
	Paid                                          bool
	Status                                        string
}
