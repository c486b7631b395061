package catalog

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"smartbot/app"
)

// The catalog as CSV (RFC 4180, UTF-8, through encoding/csv), because a
// shop's catalog usually lives in a spreadsheet. One row per product under
// the header
//
//	sku,name,description,category,price,currency,stock,active
//
// price is in minor units, as everywhere in the API (1250 is 12.50 of a
// currency with cents): a decimal would need each currency's number of
// minor digits and invites "12,50" from spreadsheets in other locales.
// stock is empty when not tracked; active is true or false.
//
// An import matches rows to products by SKU: a known SKU updates that
// product, a new one creates a product, so every row needs one. Only the
// columns in the file change: sku, name, price and currency are required,
// and a file without, say, a stock column leaves every product's stock as
// it is (a new product gets the default: untracked). Either every row is
// valid and all are imported in one transaction, or nothing is.

// CSVColumns is the header export writes, and every column import knows.
var CSVColumns = []string{"sku", "name", "description", "category", "price", "currency", "stock", "active"}

// csvRequired are the columns an import must have.
var csvRequired = []string{"sku", "name", "price", "currency"}

// Import limits. A 5 MB file of typical rows is under 50,000 of them; the
// row cap keeps the one write transaction (and the write lock every other
// change waits on) short, and the error cap keeps the answer readable.
const (
	MaxImportRows   = 10000
	MaxImportErrors = 1000
)

// ImportResult counts what an import did.
type ImportResult struct {
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
}

// ExportCSV writes the whole catalog as CSV to w, in the order products
// were added.
// Cells are written as they are: a spreadsheet's formula guard (a leading
// ') would come back on import as part of the name. The catalog is the
// shop's own staff's text.
func (s *Service) ExportCSV(ctx context.Context, w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true // RFC 4180 ends records with CRLF
	if err := cw.Write(CSVColumns); err != nil {
		return err
	}
	record := make([]string, len(CSVColumns))
	err := s.db.EachProduct(ctx, func(p app.Product) error {
		stock := ""
		if p.Stock != nil {
			stock = strconv.FormatInt(*p.Stock, 10)
		}
		record = append(record[:0], p.SKU, p.Name, p.Description, p.Category,
			strconv.FormatInt(p.Price, 10), p.Currency, stock, strconv.FormatBool(p.Active))
		return cw.Write(record)
	})
	if err != nil {
		return fmt.Errorf("catalog: export: %w", err)
	}
	cw.Flush()
	return cw.Error()
}

// importRow is one valid row of an import: the product it describes, with
// only the file's columns meaningful.
type importRow struct {
	line int
	p    app.Product
}

// parseCSV reads and checks a whole import file without touching the
// database. It returns its rows and the columns the file has, or an
// EINVALID error listing every problem of every row, each field named
// "line N: column" (line 1 is the header).
func parseCSV(r io.Reader) (rows []importRow, cols map[string]bool, err error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // a short row is reported with its line, not as a parse error
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil, app.Invalid(app.FieldError{Field: "file", Message: "is empty; the first line must be the header: " + strings.Join(CSVColumns, ",")})
	}
	if err != nil {
		return nil, nil, csvSyntax(err)
	}
	index, errs := readHeader(header)
	if len(errs) > 0 {
		return nil, nil, importInvalid(errs, 0)
	}
	cols = make(map[string]bool, len(index))
	for name := range index {
		cols[name] = true
	}
	seen := map[string]int{} // SKU → line
	bad := 0
	for {
		record, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// The reader cannot find the next row's start after broken
			// quoting: report it with what was found so far.
			errs = append(errs, csvSyntaxField(err))
			bad++
			break
		}
		line, _ := cr.FieldPos(0)
		if blank(record) {
			continue // spreadsheets leave rows of empty cells at the end
		}
		if len(rows)+bad >= MaxImportRows {
			errs = append(errs, app.FieldError{Field: fmt.Sprintf("line %d", line), Message: fmt.Sprintf("is past the %d rows an import takes; split the file", MaxImportRows)})
			bad++
			break
		}
		row, rowErrs := parseRow(line, record, index, len(header))
		if row.p.SKU != "" {
			if first, dup := seen[row.p.SKU]; dup {
				rowErrs = append(rowErrs, app.FieldError{Field: fmt.Sprintf("line %d: sku", line), Message: fmt.Sprintf("%s is also on line %d; each SKU may appear once", row.p.SKU, first)})
			} else {
				seen[row.p.SKU] = line
			}
		}
		if len(rowErrs) > 0 {
			errs = append(errs, rowErrs...)
			bad++
			continue
		}
		rows = append(rows, row)
	}
	if len(errs) > 0 {
		return nil, nil, importInvalid(errs, bad)
	}
	if len(rows) == 0 {
		return nil, nil, app.Invalid(app.FieldError{Field: "file", Message: "has a header but no products"})
	}
	return rows, cols, nil
}

// readHeader maps each column name to its place in the row.
func readHeader(header []string) (map[string]int, []app.FieldError) {
	var errs []app.FieldError
	index := map[string]int{}
	known := strings.Join(CSVColumns, ", ")
	for i, name := range header {
		if i == 0 {
			name = strings.TrimPrefix(name, "\ufeff") // the byte-order mark spreadsheets write
		}
		name = strings.ToLower(strings.TrimSpace(name))
		switch _, dup := index[name]; {
		case name == "":
			errs = append(errs, app.FieldError{Field: "line 1", Message: fmt.Sprintf("column %d has no name; the columns are %s", i+1, known)})
		case !isColumn(name):
			errs = append(errs, app.FieldError{Field: "line 1", Message: fmt.Sprintf("column %q is not known; the columns are %s", app.Shorten(name, 40), known)})
		case dup:
			errs = append(errs, app.FieldError{Field: "line 1", Message: fmt.Sprintf("column %q appears twice", name)})
		default:
			index[name] = i
		}
	}
	for _, name := range csvRequired {
		if _, ok := index[name]; !ok {
			errs = append(errs, app.FieldError{Field: "line 1", Message: fmt.Sprintf("the %s column is missing; the header needs at least %s", name, strings.Join(csvRequired, ", "))})
		}
	}
	return index, errs
}

func isColumn(name string) bool {
	for _, c := range CSVColumns {
		if c == name {
			return true
		}
	}
	return false
}

// parseRow reads one row into a product and checks it as the API would.
func parseRow(line int, record []string, index map[string]int, width int) (importRow, []app.FieldError) {
	row := importRow{line: line, p: app.Product{Active: true}}
	at := func(field string) string { return fmt.Sprintf("line %d: %s", line, field) }
	if len(record) != width {
		return row, []app.FieldError{{Field: fmt.Sprintf("line %d", line), Message: fmt.Sprintf("has %d cells; the header has %d", len(record), width)}}
	}
	var errs []app.FieldError
	cell := func(name string) (string, bool) {
		i, ok := index[name]
		if !ok {
			return "", false
		}
		return record[i], true
	}
	p := &row.p
	p.SKU, _ = cell("sku")
	p.Name, _ = cell("name")
	p.Description, _ = cell("description")
	p.Category, _ = cell("category")
	p.Currency, _ = cell("currency")
	p.Category = strings.TrimSpace(p.Category)
	if v, _ := cell("price"); strings.TrimSpace(v) == "" {
		errs = append(errs, app.FieldError{Field: at("price"), Message: "is required, in minor units (1250 for 12.50)"})
	} else if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err != nil {
		errs = append(errs, app.FieldError{Field: at("price"), Message: fmt.Sprintf("%q is not a whole number of minor units (1250 for 12.50)", app.Shorten(v, 20))})
	} else {
		p.Price = n
	}
	if v, ok := cell("stock"); ok && strings.TrimSpace(v) != "" {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			errs = append(errs, app.FieldError{Field: at("stock"), Message: fmt.Sprintf("%q is not a whole number; leave it empty when stock is not tracked", app.Shorten(v, 20))})
		} else {
			p.Stock = &n
		}
	}
	if v, ok := cell("active"); ok {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "", "true", "yes", "1":
			p.Active = true
		case "false", "no", "0":
			p.Active = false
		default:
			errs = append(errs, app.FieldError{Field: at("active"), Message: fmt.Sprintf("%q is not true or false", app.Shorten(v, 20))})
		}
	}
	for _, fe := range p.Validate() {
		errs = append(errs, app.FieldError{Field: at(fe.Field), Message: fe.Message})
	}
	if p.SKU == "" {
		errs = append(errs, app.FieldError{Field: at("sku"), Message: "is required: an import finds the product to update by its SKU"})
	}
	return row, errs
}

func blank(record []string) bool {
	for _, v := range record {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// importInvalid is the error of a file with errs, of which bad rows.
func importInvalid(errs []app.FieldError, bad int) error {
	if len(errs) > MaxImportErrors {
		more := len(errs) - MaxImportErrors
		errs = append(errs[:MaxImportErrors], app.FieldError{Field: "file", Message: fmt.Sprintf("has %d more errors not listed; fix these and import again", more)})
	}
	msg := "the header is not one an import can read; nothing was imported"
	if bad > 0 {
		msg = fmt.Sprintf("%d rows have errors; nothing was imported", bad)
		if bad == 1 {
			msg = "1 row has errors; nothing was imported"
		}
	}
	return &app.Error{Code: app.EINVALID, Message: msg, Fields: errs}
}

func csvSyntax(err error) error {
	return importInvalid([]app.FieldError{csvSyntaxField(err)}, 1)
}

// csvSyntaxField explains a CSV syntax error with its line.
func csvSyntaxField(err error) app.FieldError {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		msg := "is not valid CSV: " + pe.Err.Error()
		if errors.Is(pe.Err, csv.ErrBareQuote) || errors.Is(pe.Err, csv.ErrQuote) {
			msg = "is not valid CSV: a cell with a \" must be quoted whole, its quotes doubled (\"5\"\" pot\")"
		}
		return app.FieldError{Field: fmt.Sprintf("line %d", pe.Line), Message: msg}
	}
	return app.FieldError{Field: "file", Message: "could not be read: " + err.Error()}
}
