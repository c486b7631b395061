// Command gendatastar copies the Datastar client bundle and its licence from
// the pinned Go module into the static package, so the panel never loads it
// from a CDN and the checked-in copy can be reproduced byte for byte.
//
// It runs from the static package's directory via go generate:
//
//	go generate ./static/...
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// The pinned release. Changing it is the whole upgrade: run go generate and
// commit the copied files.
const (
	module  = "github.com/starfederation/datastar"
	version = "v1.0.0"
)

// copies maps a file in the module to its name in the static package.
var copies = []struct{ from, to string }{
	{"bundles/datastar.js", "datastar.js"},
	{"LICENSE.md", "datastar.LICENSE.md"},
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gendatastar:", err)
		os.Exit(1)
	}
}

func run() error {
	dir, err := download()
	if err != nil {
		return err
	}
	for _, c := range copies {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(c.from)))
		if err != nil {
			return fmt.Errorf("read %s from %s@%s: %w", c.from, module, version, err)
		}
		if c.to == "datastar.js" {
			// A cheap guard against a cache or proxy handing us something else.
			want := []byte("// Datastar " + version + "\n")
			if !bytes.HasPrefix(b, want) {
				return fmt.Errorf("%s does not start with %q", c.from, want)
			}
		}
		if err := os.WriteFile(c.to, b, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", c.to, err)
		}
		fmt.Printf("gendatastar: %s@%s %s -> %s (%d bytes)\n", module, version, c.from, c.to, len(b))
	}
	return nil
}

// download makes sure the module is in the module cache and returns its
// directory. It runs outside any module so that it can never touch this
// project's go.mod or go.sum.
func download() (string, error) {
	cmd := exec.Command("go", "mod", "download", "-json", module+"@"+version)
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "GOFLAGS=", "GOWORK=off")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	// go mod download -json reports a failed module in its JSON, with a
	// non-zero exit status, so decode before judging the error.
	var info struct {
		Path, Version, Dir, Error string
	}
	if jerr := json.Unmarshal(out, &info); jerr != nil {
		if err != nil {
			return "", fmt.Errorf("go mod download %s@%s: %w: %s", module, version, err, bytes.TrimSpace(stderr.Bytes()))
		}
		return "", fmt.Errorf("go mod download %s@%s: decode output: %w", module, version, jerr)
	}
	switch {
	case info.Error != "":
		return "", fmt.Errorf("go mod download %s@%s: %s", module, version, info.Error)
	case err != nil:
		return "", fmt.Errorf("go mod download %s@%s: %w: %s", module, version, err, bytes.TrimSpace(stderr.Bytes()))
	case info.Path != module || info.Version != version || info.Dir == "":
		return "", fmt.Errorf("go mod download %s@%s: got %s@%s in %q", module, version, info.Path, info.Version, info.Dir)
	}
	return info.Dir, nil
}
