package app_test

import (
	"encoding/json"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The layers of DESIGN.md §1, read off the real import graph. Only
// non-test imports count: tests may reach across layers.

const module = "smartbot"

// pkg is one package of the graph as go list gives it.
type pkg struct {
	ImportPath string
	Standard   bool
	Imports    []string
}

// layerRules returns every broken rule in pkgs, one sentence each.
func layerRules(pkgs []pkg) []string {
	standard := map[string]bool{}
	for _, p := range pkgs {
		standard[p.ImportPath] = p.Standard
	}
	own := func(path string) bool { return path == module || strings.HasPrefix(path, module+"/") }
	under := func(path, dir string) bool {
		return path == module+"/"+dir || strings.HasPrefix(path, module+"/"+dir+"/")
	}
	sqlDriver := func(path string) bool {
		return path == "database/sql" || strings.HasPrefix(path, "modernc.org/sqlite") || strings.Contains(path, "sqlite3") || path == "maragu.dev/goqite"
	}
	var broken []string
	for _, p := range pkgs {
		if !own(p.ImportPath) {
			continue
		}
		for _, imp := range p.Imports {
			switch {
			case p.ImportPath == module+"/app" && !standard[imp]:
				broken = append(broken, p.ImportPath+" imports "+imp+": the app root imports only the standard library")
			case (p.ImportPath == module+"/store" || p.ImportPath == module+"/queue") && own(imp) &&
				imp != module+"/app" && imp != module+"/migrations" && imp != module+"/store":
				broken = append(broken, p.ImportPath+" imports "+imp+": store and queue import no project package but app (and migrations; queue uses store)")
			case p.ImportPath == module+"/store" && imp == module+"/queue":
				broken = append(broken, p.ImportPath+" imports "+imp+": store is below queue")
			case under(p.ImportPath, "app") && under(imp, "web"):
				broken = append(broken, p.ImportPath+" imports "+imp+": nothing under app imports web")
			case !under(p.ImportPath, "cmd") && !under(p.ImportPath, "web") && under(imp, "cmd"):
				broken = append(broken, p.ImportPath+" imports "+imp+": only cmd wires the parts")
			case under(p.ImportPath, "web") && sqlDriver(imp):
				broken = append(broken, p.ImportPath+" imports "+imp+": web goes through store and queue, never SQL")
			case (under(p.ImportPath, "cmd") || under(p.ImportPath, "app")) && sqlDriver(imp):
				broken = append(broken, p.ImportPath+" imports "+imp+": there is no SQL outside store (and queue's goqite)")
			case (under(p.ImportPath, "store") || under(p.ImportPath, "queue")) && under(imp, "web"):
				broken = append(broken, p.ImportPath+" imports "+imp+": no adapter imports web")
			}
		}
	}
	return broken
}

func TestTheImportGraphKeepsTheLayers(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "-json=ImportPath,Standard,Imports", "smartbot/...")
	cmd.Dir = ".."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	for dec := json.NewDecoder(strings.NewReader(string(out))); ; {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	var seen []string
	for _, p := range pkgs {
		seen = append(seen, p.ImportPath)
	}
	for _, want := range []string{"smartbot/app", "smartbot/store", "smartbot/queue", "smartbot/web", "smartbot/app/account", "smartbot/app/catalog"} {
		if !slices.Contains(seen, want) {
			t.Fatalf("go list did not list %s; the test reads the wrong graph", want)
		}
	}
	for _, b := range layerRules(pkgs) {
		t.Error(b)
	}
}

func TestTheLayerRulesCatchEachKindOfViolation(t *testing.T) {
	std := func(path string) pkg { return pkg{ImportPath: path, Standard: true} }
	for _, c := range []struct {
		name string
		p    pkg
	}{
		{"the app root imports a third-party package", pkg{ImportPath: "smartbot/app", Imports: []string{"strings", "github.com/x/y"}}},
		{"the app root imports a project package", pkg{ImportPath: "smartbot/app", Imports: []string{"smartbot/store"}}},
		{"store imports an area service", pkg{ImportPath: "smartbot/store", Imports: []string{"smartbot/app/account"}}},
		{"store imports queue", pkg{ImportPath: "smartbot/store", Imports: []string{"smartbot/queue"}}},
		{"queue imports the event package", pkg{ImportPath: "smartbot/queue", Imports: []string{"smartbot/app/event"}}},
		{"a service imports web", pkg{ImportPath: "smartbot/app/catalog", Imports: []string{"smartbot/web"}}},
		{"an app package imports web/ui", pkg{ImportPath: "smartbot/app/account", Imports: []string{"smartbot/web/ui"}}},
		{"web imports the SQL driver", pkg{ImportPath: "smartbot/web", Imports: []string{"modernc.org/sqlite"}}},
		{"web imports database/sql", pkg{ImportPath: "smartbot/web", Imports: []string{"database/sql"}}},
		{"web/ui imports goqite", pkg{ImportPath: "smartbot/web/ui", Imports: []string{"maragu.dev/goqite"}}},
		{"store imports web", pkg{ImportPath: "smartbot/store", Imports: []string{"smartbot/web"}}},
		{"an app package imports cmd", pkg{ImportPath: "smartbot/app/catalog", Imports: []string{"smartbot/cmd/smartbot"}}},
		{"the CLI imports the SQL driver", pkg{ImportPath: "smartbot/cmd/smartbot", Imports: []string{"modernc.org/sqlite/lib"}}},
		{"a service opens SQL itself", pkg{ImportPath: "smartbot/app/catalog", Imports: []string{"database/sql"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			graph := []pkg{c.p, std("strings"), std("database/sql"), {ImportPath: "github.com/x/y"}}
			if broken := layerRules(graph); len(broken) != 1 {
				t.Errorf("rules broken: %q, want exactly one", broken)
			}
		})
	}
	allowed := []pkg{
		{ImportPath: "smartbot/app", Imports: []string{"strings"}},
		{ImportPath: "smartbot/store", Imports: []string{"smartbot/app", "smartbot/migrations", "database/sql", "modernc.org/sqlite"}},
		{ImportPath: "smartbot/queue", Imports: []string{"smartbot/app", "smartbot/store", "maragu.dev/goqite"}},
		{ImportPath: "smartbot/app/catalog", Imports: []string{"smartbot/app", "smartbot/store", "smartbot/app/event"}},
		{ImportPath: "smartbot/web", Imports: []string{"smartbot/store", "smartbot/app/account"}},
		{ImportPath: "smartbot/cmd/smartbot", Imports: []string{"smartbot/web", "smartbot/store"}},
		std("strings"), std("database/sql"),
	}
	if broken := layerRules(allowed); len(broken) > 0 {
		t.Errorf("an allowed graph breaks rules: %q", broken)
	}
}
