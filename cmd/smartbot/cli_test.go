package main

import (
	"bytes"
	"context"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"smartbot/app"
	"smartbot/migrations"
	"smartbot/store"
)

// internals is what a CLI error must never show: SQL, the driver's words
// ("constraint failed", "SQL logic error", "sqlite3: …"), or SQLite's result
// code in parentheses at the end of a line. (The product's own sentences may
// name SQLite, as the usage text does.)
var internals = regexp.MustCompile(`(?im)constraint failed|SQL logic|no such (table|column)|sqlite3?[:_]|modernc|\(\d+\)$`)

// checkNoInternals fails the test when a command's output leaks database
// internals. runCLI and the serve helper call it on everything they capture.
func checkNoInternals(t testing.TB, what, text string) {
	t.Helper()
	if m := internals.FindString(text); m != "" {
		t.Errorf("%s shows database internals (%q):\n%s", what, m, text)
	}
}

// olderDatabase makes a data dir whose database stopped at schema version 1.
func olderDatabase(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	first, err := fs.ReadFile(migrations.FS, "0001_schema.sql")
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), store.Options{DataDir: dir, Migrations: fstest.MapFS{"0001_schema.sql": {Data: first}}})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if store.LatestVersion() < 2 {
		t.Skip("the binary knows one migration only: no older schema to test with")
	}
	return dir
}

func schemaVersion(t *testing.T, dir string) int {
	t.Helper()
	db, err := store.Open(context.Background(), store.Options{DataDir: dir, NoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	v, err := db.Version(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// holdLock takes the data dir's lock as a running server would, until the
// test ends.
func holdLock(t *testing.T, dir string) {
	t.Helper()
	unlock, err := store.LockDataDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unlock() })
}

func TestUserAndAPIKeyCommandsNeverMigrateUnderARunningServer(t *testing.T) {
	commands := map[string][]string{
		"apikey create": {"apikey", "create", "--name", "sync", "--role", "viewer"},
		"user create":   {"user", "create", "--email", "ops@shop.example", "--role", "operator"},
	}
	for name, args := range commands {
		t.Run(name+" on an older database under a server is refused", func(t *testing.T) {
			dir := olderDatabase(t)
			holdLock(t, dir)
			code, _, stderr := runCLI(t, append(args, "--data-dir", dir)...)
			if code != 1 {
				t.Errorf("exit %d, want 1; stderr: %s", code, stderr)
			}
			for _, want := range []string{"schema version 1", "running", "smartbot migrate"} {
				if !strings.Contains(stderr, want) {
					t.Errorf("the refusal does not say %q:\n%s", want, stderr)
				}
			}
			if v := schemaVersion(t, dir); v != 1 {
				t.Errorf("the database was migrated to version %d under the server", v)
			}
			if backups, _ := os.ReadDir(filepath.Join(dir, "backups")); len(backups) > 0 {
				t.Errorf("a pre-migration backup was made under the server: %v", backups)
			}
		})
		t.Run(name+" on a current database under a server works", func(t *testing.T) {
			dir := migrated(t)
			holdLock(t, dir)
			if code, _, stderr := runCLI(t, append(args, "--data-dir", dir)...); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
		})
		t.Run(name+" on an older database with no server migrates it and works", func(t *testing.T) {
			dir := olderDatabase(t)
			if code, _, stderr := runCLI(t, append(args, "--data-dir", dir)...); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if v := schemaVersion(t, dir); v != store.LatestVersion() {
				t.Errorf("schema version %d after the command, want %d", v, store.LatestVersion())
			}
			// The lock was released: a server can start now.
			unlock, err := store.LockDataDir(dir)
			if err != nil {
				t.Fatalf("the command kept the data dir locked: %v", err)
			}
			unlock()
		})
	}
}

func TestTheCLIAcceptsAndRefusesWhatTheAPIDoes(t *testing.T) {
	dir := migrated(t)
	cases := []struct {
		name  string
		stdin string
		args  []string
		code  int
		says  string
	}{
		{"a key name starting with a dash", "", []string{"apikey", "create", "--name", "-bad", "--role", "viewer"}, 1, "--name must be 1 to 100 letters"},
		{"a key name with a control character", "", []string{"apikey", "create", "--name", "sync\x07", "--role", "viewer"}, 1, "--name must be"},
		{"a key name of 101 characters", "", []string{"apikey", "create", "--name", strings.Repeat("k", 101), "--role", "viewer"}, 1, "--name must be"},
		{"a key name of 100 accented letters", "", []string{"apikey", "create", "--name", strings.Repeat("é", 100), "--role", "viewer"}, 0, "created viewer API key"},
		{"an unknown key role", "", []string{"apikey", "create", "--name", "sync", "--role", "admin"}, 1, "--role must be owner, operator or viewer"},
		{"a bad email", "", []string{"user", "create", "--email", "not-an-email", "--role", "viewer"}, 1, "--email must be an email address"},
		{"an unknown user role", "", []string{"user", "create", "--email", "a@shop.example", "--role", "boss"}, 1, "--role must be owner, operator or viewer"},
		{"a user name with a control character", "", []string{"user", "create", "--email", "b@shop.example", "--role", "viewer", "--name", "Ann\x1b"}, 1, "--name "},
		{"a short password", "short\n", []string{"user", "create", "--email", "c@shop.example", "--role", "viewer"}, 1, "the password on standard input must be 12 to 256 characters"},
		{"a short new password", "short\n", []string{"user", "reset-password", "--email", "d@shop.example"}, 1, "the password on standard input must be 12 to 256 characters"},
		{"a reset for nobody", "", []string{"user", "reset-password", "--email", "nobody@shop.example"}, 1, "no user with email nobody@shop.example"},
	}
	if code, _, stderr := runCLI(t, "user", "create", "--email", "d@shop.example", "--role", "viewer", "--data-dir", dir); code != 0 {
		t.Fatal(stderr)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runCLIWithInput(t, c.stdin, append(c.args, "--data-dir", dir)...)
			if code != c.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, c.code, stderr)
			}
			if !strings.Contains(stdout+stderr, c.says) {
				t.Errorf("the output does not say %q:\n%s%s", c.says, stdout, stderr)
			}
		})
	}
}

func TestUsageErrorsExitTwoAndOtherErrorsOne(t *testing.T) {
	dir := migrated(t)
	cases := []struct {
		name string
		args []string
		code int
		says string
	}{
		{"an unknown command", []string{"serv"}, 2, `unknown command "serv"`},
		{"serve with an unknown flag", []string{"serve", "--port", "80"}, 2, "-port"},
		{"serve with an argument", []string{"serve", "now"}, 2, "serve takes no arguments"},
		{"serve with a bad setting", []string{"serve", "--log-level", "loud"}, 1, "--log-level"},
		{"migrate with an unknown flag", []string{"migrate", "--force"}, 2, "-force"},
		{"migrate with an argument", []string{"migrate", "now"}, 2, "migrate takes no arguments"},
		{"backup with an unknown flag", []string{"backup", "--all"}, 2, "-all"},
		{"backup with an argument", []string{"backup", "shop.tar.gz", "--data-dir", dir}, 2, "backup takes no arguments"},
		{"backup with no database", []string{"backup", "--data-dir", t.TempDir()}, 1, "no database to back up"},
		{"restore with an unknown flag", []string{"restore", "--yes", "x.tar.gz"}, 2, "-yes"},
		{"restore with no file", []string{"restore", "--data-dir", t.TempDir()}, 2, "restore takes one backup file"},
		{"restore with two files", []string{"restore", "--data-dir", t.TempDir(), "a.tar.gz", "b.tar.gz"}, 2, "restore takes one backup file"},
		{"restore of a missing file", []string{"restore", "--data-dir", t.TempDir(), filepath.Join(t.TempDir(), "gone.tar.gz")}, 1, "gone.tar.gz"},
		{"user with no subcommand", []string{"user"}, 2, "usage: smartbot user"},
		{"user with a bad subcommand", []string{"user", "delete"}, 2, "usage: smartbot user"},
		{"user create with an unknown flag", []string{"user", "create", "--admin"}, 2, "-admin"},
		{"user create without --email", []string{"user", "create", "--role", "viewer", "--data-dir", dir}, 2, "--email is required"},
		{"user create without --role", []string{"user", "create", "--email", "x@shop.example", "--data-dir", dir}, 2, "--role is required"},
		{"user create with an argument", []string{"user", "create", "--email", "x@shop.example", "--role", "viewer", "extra", "--data-dir", dir}, 2, "takes no arguments"},
		{"user reset-password without --email", []string{"user", "reset-password", "--data-dir", dir}, 2, "--email is required"},
		{"user create with a bad email", []string{"user", "create", "--email", "x", "--role", "viewer", "--data-dir", dir}, 1, "--email must be"},
		{"apikey with no subcommand", []string{"apikey"}, 2, "usage: smartbot apikey"},
		{"apikey with a bad subcommand", []string{"apikey", "revoke"}, 2, "usage: smartbot apikey"},
		{"apikey create with an unknown flag", []string{"apikey", "create", "--owner", "x"}, 2, "-owner"},
		{"apikey create without --name", []string{"apikey", "create", "--role", "viewer", "--data-dir", dir}, 2, "--name is required"},
		{"apikey create without --role", []string{"apikey", "create", "--name", "sync", "--data-dir", dir}, 2, "--role is required"},
		{"apikey create with an argument", []string{"apikey", "create", "--name", "sync", "--role", "viewer", "extra", "--data-dir", dir}, 2, "takes no arguments"},
		{"apikey create with a bad lifetime", []string{"apikey", "create", "--name", "sync", "--role", "viewer", "--expires", "soon", "--data-dir", dir}, 1, "--expires"},
		{"healthcheck with an unknown flag", []string{"healthcheck", "--url", "x"}, 2, "-url"},
		{"healthcheck with an argument", []string{"healthcheck", "now"}, 2, "healthcheck takes no arguments"},
		{"healthcheck with a bad address", []string{"healthcheck", "--addr", "nowhere"}, 1, "--addr"},
		{"version with an argument", []string{"version", "now"}, 2, "version takes no arguments"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, c.args...)
			if code != c.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, c.code, stderr)
			}
			if !strings.Contains(stderr, c.says) {
				t.Errorf("stderr does not say %q:\n%s", c.says, stderr)
			}
		})
	}
}

func TestEveryEnvironmentSettingNamesItsFlagVariableAndAllowedValues(t *testing.T) {
	bad := map[string]struct{ value, allowed string }{
		"data-dir":         {"", "give the directory"},
		"addr":             {"localhost", "like 127.0.0.1:8080 or :8080"},
		"log-level":        {"loud", "debug, info, warn or error"},
		"shutdown-timeout": {"soon", "like 8s or 1m"},
		"secure-cookies":   {"maybe", "must be true or false"},
		"media-limits":     {"pics=3MB", `"pics" is not a kind of media`},
	}
	for name := range envFlags {
		t.Run(name, func(t *testing.T) {
			b, ok := bad[name]
			if !ok {
				t.Fatalf("no bad value to try for --%s: add one here", name)
			}
			t.Setenv(envName(name), b.value)
			// serve takes every setting; a bad one stops it before it opens anything.
			args := []string{"serve"}
			if name != "data-dir" {
				args = append(args, "--data-dir", t.TempDir())
			}
			code, _, stderr := runCLI(t, args...)
			if code != 1 {
				t.Errorf("exit %d, want 1; stderr: %s", code, stderr)
			}
			for _, want := range []string{envName(name) + `="` + b.value + `" (--` + name + `)`, b.allowed} {
				if !strings.Contains(stderr, want) {
					t.Errorf("the error does not say %q:\n%s", want, stderr)
				}
			}
		})
	}
}

func TestCLIErrorsNeverShowDatabaseInternals(t *testing.T) {
	dir := migrated(t)
	if code, _, stderr := runCLI(t, "user", "create", "--email", "owner@shop.example", "--role", "owner", "--data-dir", dir); code != 0 {
		t.Fatal(stderr)
	}
	garbage := t.TempDir()
	os.WriteFile(filepath.Join(garbage, store.FileName), bytes.Repeat([]byte("not a database "), 500), 0o600)

	cases := []struct {
		name string
		args []string
		says string
	}{
		{"a user with a taken email", []string{"user", "create", "--email", "Owner@shop.example", "--role", "viewer", "--data-dir", dir}, "a user with that email already exists"},
		{"an API key in a data dir that holds no database", []string{"apikey", "create", "--name", "sync", "--role", "viewer", "--data-dir", garbage}, "is not a Smartbot database"},
		{"a user in a data dir that holds no database", []string{"user", "create", "--email", "a@shop.example", "--role", "viewer", "--data-dir", garbage}, "is not a Smartbot database"},
		{"a password reset in a data dir that holds no database", []string{"user", "reset-password", "--email", "a@shop.example", "--data-dir", garbage}, "is not a Smartbot database"},
		{"a migration of a data dir that holds no database", []string{"migrate", "--data-dir", garbage}, "is not a Smartbot database"},
		{"a backup of a data dir that holds no database", []string{"backup", "--data-dir", garbage, "-o", filepath.Join(t.TempDir(), "b.tar.gz")}, "is not a Smartbot database"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, c.args...)
			if code != 1 {
				t.Errorf("exit %d, want 1; stderr: %s", code, stderr)
			}
			if !strings.Contains(stderr, c.says) {
				t.Errorf("stderr does not say %q:\n%s", c.says, stderr)
			}
		})
	}
}

// syncBuffer collects a command's output from several goroutines and hands
// each complete line to the test as it is written.
type syncBuffer struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	part  []byte
	lines chan string
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{lines: make(chan string, 1000)} }

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	b.part = append(b.part, p...)
	for {
		i := bytes.IndexByte(b.part, '\n')
		if i < 0 {
			break
		}
		select {
		case b.lines <- string(b.part[:i]):
		default: // nobody is waiting for that many lines
		}
		b.part = b.part[i+1:]
	}
	return len(p), nil
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// inProcessServer is `smartbot serve` run by run() in this process.
type inProcessServer struct {
	stdout, stderr *syncBuffer
	cancel         context.CancelFunc
	done           chan error
	base           string
}

// startInProcess runs serve with args until the test stops it, and returns
// once it prints that it is serving.
func startInProcess(t *testing.T, args ...string) *inProcessServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &inProcessServer{stdout: newSyncBuffer(), stderr: newSyncBuffer(), cancel: cancel, done: make(chan error, 1)}
	go func() {
		s.done <- run(ctx, append([]string{"serve"}, args...), strings.NewReader(""), s.stdout, s.stderr)
	}()
	t.Cleanup(func() {
		cancel()
		<-s.done
	})
	select {
	case line := <-s.stdout.lines:
		m := servingLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("unexpected first line: %q", line)
		}
		s.base = "http://" + m[1]
	case err := <-s.done:
		s.done <- err
		t.Fatalf("serve ended before serving: %v\n%s", err, s.stderr)
	case <-time.After(30 * time.Second):
		t.Fatalf("serve printed nothing in 30s\n%s", s.stderr)
	}
	return s
}

// stop cancels serve's context and returns its whole stdout and its error.
func (s *inProcessServer) stop(t *testing.T) (string, error) {
	t.Helper()
	s.cancel()
	select {
	case err := <-s.done:
		s.done <- err
		if err != nil {
			checkNoInternals(t, "serve's error", err.Error())
		}
		return s.stdout.String(), err
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not stop in 30s\n%s", s.stderr)
		return "", nil
	}
}

var setupTokenRE = regexp.MustCompile(`/setup\?token=(\S+)`)

func TestARestartWithoutAnOwnerShowsTheSameSetupLink(t *testing.T) {
	dir := t.TempDir()
	var links []string
	for range 2 {
		s := startInProcess(t, "--data-dir", dir, "--addr", "127.0.0.1:0")
		stdout, err := s.stop(t)
		if err != nil {
			t.Fatal(err)
		}
		m := setupTokenRE.FindStringSubmatch(stdout)
		if m == nil {
			t.Fatalf("no setup link printed:\n%s", stdout)
		}
		links = append(links, m[1])
	}
	if links[0] != links[1] {
		t.Errorf("the restart minted another setup link: %s, then %s", links[0], links[1])
	}

	if code, _, stderr := runCLI(t, "user", "create", "--email", "owner@shop.example", "--role", "owner", "--data-dir", dir); code != 0 {
		t.Fatal(stderr)
	}
	s := startInProcess(t, "--data-dir", dir, "--addr", "127.0.0.1:0")
	if stdout, err := s.stop(t); err != nil || strings.Contains(stdout, "setup") {
		t.Errorf("with an owner, serve still offers a setup link (error %v):\n%s", err, stdout)
	}
}

func TestMediaLimitsAreWhatWhatsAppTakesUnlessSetOtherwise(t *testing.T) {
	cfg, err := parseServe(nil, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[app.MediaKind]int64{app.MediaImage: 5 << 20, app.MediaVideo: 16 << 20, app.MediaAudio: 16 << 20, app.MediaDocument: 100 << 20}
	for k, n := range want {
		if got := cfg.mediaLimits.For(k); got != n {
			t.Errorf("the default cap of %s is %d, want %d", k, got, n)
		}
	}
	t.Setenv("SMARTBOT_MEDIA_LIMITS", "image=1MB,document=20MB")
	if cfg, err = parseServe(nil, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	want[app.MediaImage], want[app.MediaDocument] = 1<<20, 20<<20
	for k, n := range want {
		if got := cfg.mediaLimits.For(k); got != n {
			t.Errorf("with SMARTBOT_MEDIA_LIMITS the cap of %s is %d, want %d", k, got, n)
		}
	}
}

func TestTheDefaultShutdownBudgetFitsDockersStopTimeout(t *testing.T) {
	cfg, err := parseServe(nil, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	// docker stop sends SIGTERM, then SIGKILL 10 seconds later.
	if cfg.shutdownTimeout <= 0 || cfg.shutdownTimeout >= 10*time.Second {
		t.Errorf("the default --shutdown-timeout is %s; docker stop kills after 10s", cfg.shutdownTimeout)
	}
}

func TestServeStopsWithinItsShutdownBudgetWhileARequestHangs(t *testing.T) {
	s := startInProcess(t, "--data-dir", t.TempDir(), "--addr", "127.0.0.1:0", "--shutdown-timeout", "300ms")
	// A request whose headers never finish keeps its connection active
	// until ReadHeaderTimeout (10s): only the budget ends the wait.
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n")); err != nil {
		t.Fatal(err)
	}
	// The listener accepts connections in the order they came, so once a
	// second connection is answered the first one is the server's too.
	if code, _ := get(t, s.base+"/healthz"); code != 200 {
		t.Fatal("healthz")
	}
	s.cancel()
	select {
	case err := <-s.done:
		s.done <- err
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(8 * time.Second):
		t.Fatalf("serve did not stop within 8s with a 300ms budget\n%s", s.stderr)
	}
	if !strings.Contains(s.stderr.String(), "shutdown deadline") || !strings.Contains(s.stderr.String(), `"msg":"stopped"`) {
		t.Errorf("the log does not say the budget ended the wait:\n%s", s.stderr)
	}
}

func TestServeFailsWhenItCannotListen(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	code, _, stderr := runCLI(t, "serve", "--data-dir", t.TempDir(), "--addr", ln.Addr().String())
	if code != 1 || !strings.Contains(stderr, "cannot listen on "+ln.Addr().String()) {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}
