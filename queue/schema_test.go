package queue_test

import (
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"smartbot/store/storetest"
)

// The runner reads and writes goqite's table with its own SQL, and the
// migrations create that table themselves. Both assume goqite's schema, so
// this test holds the migrated table to the schema_sqlite.sql of the goqite
// version go.mod pins: upgrading goqite to one that changes its table fails
// here, not in production.
func TestGoqitesTableIsTheSchemaOfThePinnedGoqite(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to find goqite's module: %v", err)
	}
	out, err := exec.Command(goBin, "list", "-m", "-f", "{{.Dir}}", "maragu.dev/goqite").Output()
	dir := strings.TrimSpace(string(out))
	if err != nil || dir == "" {
		t.Fatalf("find goqite's module directory: %q, %v (run go mod download)", dir, err)
	}
	ddl, err := os.ReadFile(filepath.Join(dir, "schema_sqlite.sql"))
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "goqite.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer theirs.Close()
	if _, err := theirs.Exec(string(ddl)); err != nil {
		t.Fatalf("goqite's schema: %v", err)
	}

	want := describeGoqite(t, theirs)
	got := describeGoqite(t, storetest.New(t).R)
	if !slices.Equal(got, want) {
		t.Errorf("the migrated goqite table differs from goqite's own schema (%s):", filepath.Join(dir, "schema_sqlite.sql"))
		for _, l := range want {
			if !slices.Contains(got, l) {
				t.Errorf("  missing: %s", l)
			}
		}
		for _, l := range got {
			if !slices.Contains(want, l) {
				t.Errorf("  extra:   %s", l)
			}
		}
	}
}

// describeGoqite lists, one line each, what SQLite knows of the goqite
// table: the table itself (strict or not), every column with its type,
// constraints and default, every index with its columns, order and
// collation, and every trigger's text with its whitespace collapsed.
func describeGoqite(t *testing.T, db *sql.DB) []string {
	t.Helper()
	var lines []string
	add := func(prefix, query string, args ...any) [][]string {
		rows := queryStrings(t, db, query, args...)
		for _, r := range rows {
			lines = append(lines, prefix+" "+strings.Join(r, " | "))
		}
		return rows
	}
	add("table", `select type, ncol, wr, strict from pragma_table_list where name = 'goqite'`)
	add("column", `select cid, name, type, "notnull", coalesce(dflt_value, 'null'), pk, hidden from pragma_table_xinfo('goqite') order by cid`)
	indexes := add("index", `select name, "unique", origin, partial from pragma_index_list('goqite') order by name`)
	for _, ix := range indexes {
		add("index "+ix[0], `select seqno, cid, coalesce(name, 'null'), "desc", coll, key from pragma_index_xinfo(?) order by seqno`, ix[0])
	}
	for _, tr := range queryStrings(t, db, `select name, sql from sqlite_schema where type = 'trigger' and tbl_name = 'goqite' order by name`) {
		lines = append(lines, "trigger "+tr[0]+" "+strings.Join(strings.Fields(tr[1]), " "))
	}
	if len(lines) < 3 {
		t.Fatalf("no goqite table found: %q", lines)
	}
	return lines
}

// queryStrings returns every row of query with its columns as text.
func queryStrings(t *testing.T, db *sql.DB, query string, args ...any) [][]string {
	t.Helper()
	rows, err := db.Query(query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := make([]string, len(vals))
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			row[i] = fmt.Sprint(v)
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
