package web

import (
	"bytes"
	"crypto/sha256"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestALargeBodyIsSpooledToATempFileNotMemoryAndRemovedAfter(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	for _, size := range []int{0, 10, spoolInMemory, spoolInMemory + 1, 3 * spoolInMemory} {
		body := bytes.Repeat([]byte("v"), size)
		sum := sha256.New()
		rc, err := spool(bytes.NewReader(body), sum)
		if err != nil {
			t.Fatal(err)
		}
		files, _ := filepath.Glob(filepath.Join(os.TempDir(), "smartbot-body-*"))
		if big := size > spoolInMemory; big != (len(files) == 1) {
			t.Errorf("%d bytes: %d temp files", size, len(files))
		}
		got, err := io.ReadAll(rc)
		if err != nil || !bytes.Equal(got, body) {
			t.Errorf("%d bytes: read back %d bytes, %v", size, len(got), err)
		}
		if want := sha256.Sum256(body); !bytes.Equal(sum.Sum(nil), want[:]) {
			t.Errorf("%d bytes: the hash is not of the whole body", size)
		}
		rc.Close()
		if files, _ := filepath.Glob(filepath.Join(os.TempDir(), "smartbot-body-*")); len(files) != 0 {
			t.Errorf("%d bytes: %s left behind", size, strings.Join(files, ", "))
		}
	}
}
