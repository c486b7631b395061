package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"smartbot/store"
	"smartbot/store/storetest"
)

// runCLI runs the command line in process and returns its exit code and output.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runCLIWithInput(t, "", args...)
}

// runCLIWithInput is runCLI with stdin. Every error it sees is checked for
// database internals.
func runCLIWithInput(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	code = report(err, &errOut)
	checkNoInternals(t, "smartbot "+strings.Join(args, " "), errOut.String())
	return code, out.String(), errOut.String()
}

// migrated makes a data dir with a migrated database.
func migrated(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if code, _, stderr := runCLI(t, "migrate", "--data-dir", dir); code != 0 {
		t.Fatalf("migrate: %d %s", code, stderr)
	}
	return dir
}

func TestBadInputGetsAClearErrorAndChangesNothing(t *testing.T) {
	file := filepath.Join(t.TempDir(), "not-a-dir")
	os.WriteFile(file, []byte("x"), 0o600)
	corrupt := filepath.Join(t.TempDir(), "corrupt.tar.gz")
	os.WriteFile(corrupt, bytes.Repeat([]byte("garbage!"), 1000), 0o600)

	cases := []struct {
		name    string
		args    []string
		env     map[string]string
		code    int
		message string
	}{
		{"no command", nil, nil, 2, "Usage"},
		{"an unknown command", []string{"serv"}, nil, 2, `unknown command "serv"`},
		{"an unknown flag", []string{"serve", "--port", "80"}, nil, 2, "flag provided but not defined: -port"},
		{"a stray argument", []string{"migrate", "now"}, nil, 2, "migrate takes no arguments"},
		{"a malformed duration in the environment", []string{"serve"}, map[string]string{"SMARTBOT_SHUTDOWN_TIMEOUT": "soon"}, 1, "SMARTBOT_SHUTDOWN_TIMEOUT"},
		{"a malformed address in the environment", []string{"serve"}, map[string]string{"SMARTBOT_ADDR": "localhost"}, 1, "SMARTBOT_ADDR"},
		{"a port out of range", []string{"serve", "--addr", "127.0.0.1:99999"}, nil, 1, "is not host:port"},
		{"a host name that is not an address", []string{"serve", "--addr", "shop.example:8080"}, nil, 1, "is not an IP address"},
		{"an unknown log level", []string{"serve", "--log-level", "loud"}, nil, 1, `--log-level "loud" (SMARTBOT_LOG_LEVEL) must be debug, info, warn or error`},
		{"a data dir that is a file", []string{"serve", "--addr", "127.0.0.1:0", "--data-dir", file}, nil, 1, "is a file, not a directory"},
		{"migrate on a data dir that is a file", []string{"migrate", "--data-dir", file}, nil, 1, "is a file, not a directory"},
		{"a data dir from the environment that is a file", []string{"migrate"}, map[string]string{"SMARTBOT_DATA_DIR": file}, 1, "is a file, not a directory"},
		{"a backup with no database", []string{"backup", "--data-dir", t.TempDir(), "-o", filepath.Join(t.TempDir(), "b.tar.gz")}, nil, 1, "no database to back up"},
		{"a restore with no file named", []string{"restore", "--data-dir", t.TempDir()}, nil, 2, "restore takes one backup file"},
		{"a restore of a missing file", []string{"restore", "--data-dir", t.TempDir(), filepath.Join(t.TempDir(), "missing.tar.gz")}, nil, 1, "missing.tar.gz"},
		{"a restore of a corrupt file", []string{"restore", "--data-dir", t.TempDir(), corrupt}, nil, 1, "not a Smartbot backup"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			before := storetest.DirDigest(t, filepath.Dir(file))
			code, _, stderr := runCLI(t, c.args...)
			if code != c.code {
				t.Errorf("exit code %d, want %d; stderr: %s", code, c.code, stderr)
			}
			if !strings.Contains(stderr, c.message) {
				t.Errorf("stderr does not say %q:\n%s", c.message, stderr)
			}
			if !maps.Equal(storetest.DirDigest(t, filepath.Dir(file)), before) {
				t.Error("the file given as data dir changed")
			}
		})
	}
}

func TestRestoringACorruptBackupLeavesTheShopAsItWas(t *testing.T) {
	dir := migrated(t)
	os.MkdirAll(filepath.Join(dir, "media"), 0o750)
	os.WriteFile(filepath.Join(dir, "media", "photo.jpg"), []byte("jpeg bytes"), 0o600)
	good := filepath.Join(t.TempDir(), "good.tar.gz")
	if code, _, stderr := runCLI(t, "backup", "--data-dir", dir, "-o", good); code != 0 {
		t.Fatal(stderr)
	}
	b, _ := os.ReadFile(good)
	truncated := filepath.Join(t.TempDir(), "truncated.tar.gz")
	os.WriteFile(truncated, b[:len(b)/2], 0o600)

	before := storetest.DirDigest(t, dir)
	code, _, stderr := runCLI(t, "restore", "--data-dir", dir, truncated)
	if code != 1 || stderr == "" {
		t.Fatalf("restore of a truncated backup: exit %d, stderr %q", code, stderr)
	}
	if !maps.Equal(storetest.DirDigest(t, dir), before) {
		t.Fatal("a failed restore changed the data directory")
	}
}

func TestBackupRefusesToOverwriteAFile(t *testing.T) {
	dir := migrated(t)
	out := filepath.Join(t.TempDir(), "shop.tar.gz")
	os.WriteFile(out, []byte("precious"), 0o600)
	code, _, stderr := runCLI(t, "backup", "--data-dir", dir, "-o", out)
	if code != 1 || !strings.Contains(stderr, "already exists") {
		t.Fatalf("exit %d, %s", code, stderr)
	}
	if b, _ := os.ReadFile(out); string(b) != "precious" {
		t.Fatal("the existing file was overwritten")
	}
}

// binary builds smartbot once for the tests that run it as a process.
func binary(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "smartbot")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

var servingLine = regexp.MustCompile(`serving http://(\S+) `)

// startServer runs `smartbot serve` on a free loopback port and returns the
// process and its base URL once it prints that it is serving.
func startServer(t testing.TB, bin, dataDir string) (*exec.Cmd, string, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--data-dir", dataDir, "--addr", "127.0.0.1:0")
	stdout, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("serve printed nothing: %v\n%s", err, stderr.String())
	}
	m := servingLine.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("unexpected first line: %q", line)
	}
	go io.Copy(io.Discard, stdout)
	return cmd, "http://" + m[1], &stderr
}

func get(t testing.TB, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestServeIsReadyBacksUpWhileRunningAndStopsOnSIGTERM(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	cmd, base, stderr := startServer(t, bin, dir)

	if code, body := get(t, base+"/healthz"); code != 200 {
		t.Fatalf("healthz: %d %s", code, body)
	}
	if code, body := get(t, base+"/readyz"); code != 200 || !strings.Contains(body, `"ready":true`) {
		t.Fatalf("readyz: %d %s", code, body)
	}
	// A second server on the same data is refused.
	second := exec.Command(bin, "serve", "--data-dir", dir, "--addr", "127.0.0.1:0")
	out, err := second.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "seems to be running") {
		t.Fatalf("a second server on the same data: %v\n%s", err, out)
	}
	// So is a restore under the live server.
	backup := filepath.Join(t.TempDir(), "live.tar.gz")
	if out, err := exec.Command(bin, "backup", "--data-dir", dir, "-o", backup).CombinedOutput(); err != nil {
		t.Fatalf("backup while serving: %v\n%s", err, out)
	}
	if out, err := exec.Command(bin, "restore", "--data-dir", dir, backup).CombinedOutput(); err == nil || !strings.Contains(string(out), "stop it first") {
		t.Fatalf("restore under a live server: %v\n%s", err, out)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve exited with %v\n%s", err, stderr)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop on SIGTERM")
	}
	if !strings.Contains(stderr.String(), `"msg":"stopped"`) {
		t.Fatalf("no graceful stop in the log:\n%s", stderr)
	}

	// Now restore works, and the restored shop serves again.
	if out, err := exec.Command(bin, "restore", "--data-dir", dir, backup).CombinedOutput(); err != nil {
		t.Fatalf("restore after stop: %v\n%s", err, out)
	}
	_, base, _ = startServer(t, bin, dir)
	if code, body := get(t, base+"/readyz"); code != 200 {
		t.Fatalf("readyz after restore: %d %s", code, body)
	}
	if prev, _ := filepath.Glob(filepath.Join(dir, "previous-*", store.FileName)); len(prev) != 1 {
		t.Fatalf("the replaced database was not kept aside: %v", prev)
	}
}

// BenchmarkStartupToReady: from starting the binary on an existing database
// to /readyz answering 200. Run with:
//
//	go test ./cmd/smartbot -run '^$' -bench StartupToReady -benchtime 20x
func BenchmarkStartupToReady(b *testing.B) {
	bin := binary(b)
	dir := b.TempDir()
	if out, err := exec.Command(bin, "migrate", "--data-dir", dir).CombinedOutput(); err != nil {
		b.Fatalf("%v\n%s", err, out)
	}
	var took []time.Duration
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		cmd := exec.Command(bin, "serve", "--data-dir", dir, "--addr", "127.0.0.1:18080", "--log-level", "error")
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		for {
			res, err := http.Get("http://127.0.0.1:18080/readyz")
			if err == nil {
				res.Body.Close()
				if res.StatusCode == 200 {
					break
				}
			}
			if time.Since(start) > 10*time.Second {
				b.Fatal("not ready after 10s")
			}
			time.Sleep(time.Millisecond)
		}
		took = append(took, time.Since(start))
		b.StopTimer()
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		b.StartTimer()
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms-to-ready")
	b.ReportMetric(float64(took[len(took)-1].Microseconds())/1000, "max-ms-to-ready")
}
