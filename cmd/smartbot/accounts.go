package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"smartbot/app"
	"smartbot/app/account"
	"smartbot/store"
)

// cliActor is who the audit log names for changes made from the command line.
var cliActor = app.Actor{Type: app.ActorSystem, Name: "cli"}

// openForCLI opens the data directory's database for a command that writes
// to it, also next to a running server (SQLite allows it). With no server,
// it holds the data directory's lock while it works, so migrating is safe
// and no server starts under it. With a server running, it never migrates:
// the server did, and a database at another schema version than this
// binary's is refused. close releases the database and the lock.
func openForCLI(ctx context.Context, dataDir string) (db *store.DB, close func(), err error) {
	if err := store.CheckDataDir(dataDir); err != nil {
		return nil, nil, err
	}
	path := filepath.Join(dataDir, store.FileName)
	unlock, err := store.LockDataDir(dataDir)
	switch {
	case err == nil:
		db, err = store.Open(ctx, store.Options{DataDir: dataDir})
		if err != nil {
			unlock()
			return nil, nil, store.Explain(path, err)
		}
		return db, func() { db.Close(); unlock() }, nil
	case !errors.Is(err, store.ErrLocked):
		return nil, nil, err
	}
	db, err = store.Open(ctx, store.Options{DataDir: dataDir, NoMigrate: true})
	if err != nil {
		return nil, nil, store.Explain(path, err)
	}
	v, err := db.Version(ctx)
	if err == nil && v != store.LatestVersion() {
		err = fmt.Errorf("the database %s is at schema version %d and this smartbot works with version %d; a server is running on it, so it was not migrated: run this command with the server's own smartbot binary, or stop the server and run smartbot migrate with this one", path, v, store.LatestVersion())
	}
	if err != nil {
		db.Close()
		return nil, nil, store.Explain(path, err)
	}
	return db, func() { db.Close() }, nil
}

// user runs 'smartbot user create|reset-password'. The account service
// checks the input, as it does for the API and the panel.
func user(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "create" && args[0] != "reset-password") {
		fmt.Fprintln(stderr, "usage: smartbot user create --email E --role owner|operator|viewer [--name N]\n       smartbot user reset-password --email E\nThe password is read from standard input, or generated and printed when none is given.")
		return errUsage
	}
	sub := args[0]
	fs := newFlags("user "+sub, stderr)
	dataDir := dataDirFlag(fs)
	email := fs.String("email", "", "the user's email address")
	var role, name *string
	if sub == "create" {
		role = fs.String("role", "", "owner, operator or viewer")
		name = fs.String("name", "", "the user's name, optional")
	}
	rest, err := fs.parse(args[1:])
	if err != nil {
		return err
	}
	if err := noArgs("user "+sub, rest, ""); err != nil {
		return err
	}
	required := []string{"email"}
	if sub == "create" {
		required = append(required, "role")
	}
	if err := fs.require(required...); err != nil {
		return err
	}
	password, generated, err := readPassword(stdin)
	if err != nil {
		return err
	}
	db, closeDB, err := openForCLI(ctx, *dataDir)
	if err != nil {
		return err
	}
	defer closeDB()
	ctx = app.WithActor(ctx, cliActor)
	accounts := account.New(account.Options{DB: db})
	if sub == "create" {
		u, err := accounts.CreateUser(ctx, account.NewUser{Email: *email, Name: *name, Role: app.Role(*role), Password: password})
		if err != nil {
			return store.Explain(db.Path(), err)
		}
		fmt.Fprintf(stdout, "created %s user %s\n", u.Role, u.Email)
	} else {
		addr := app.NormalizeEmail(*email)
		u, err := db.UserByEmail(ctx, addr)
		if app.ErrorCode(err) == app.ENOTFOUND {
			return fmt.Errorf("no user with email %s", addr)
		}
		if err != nil {
			return store.Explain(db.Path(), err)
		}
		if err := accounts.SetPassword(ctx, u.ID, password); err != nil {
			return store.Explain(db.Path(), err)
		}
		fmt.Fprintf(stdout, "set a new password for %s and signed them out everywhere\n", u.Email)
	}
	if generated {
		fmt.Fprintf(stdout, "password: %s\n", password)
	}
	return nil
}

// readPassword takes the first line of stdin; with nothing there (or a
// terminal) it generates one.
func readPassword(stdin io.Reader) (pw string, generated bool, err error) {
	if stdin != nil && !isTerminal(stdin) {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", false, fmt.Errorf("read the password from standard input: %w", err)
		}
		if line = strings.TrimRight(line, "\r\n"); line != "" {
			return line, false, nil
		}
	}
	return generatePassword(), true, nil
}

// generatePassword makes 24 characters from an unambiguous alphabet (~137 bits).
func generatePassword() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 24)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// apikey runs 'smartbot apikey create'; the key alone is the last line.
// The account service checks the input, as it does for the API.
func apikey(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprintln(stderr, "usage: smartbot apikey create --name N --role owner|operator|viewer [--expires 90d]")
		return errUsage
	}
	fs := newFlags("apikey create", stderr)
	dataDir := dataDirFlag(fs)
	name := fs.String("name", "", "what the key is for, e.g. accounting-sync")
	role := fs.String("role", "", "owner, operator or viewer")
	expires := fs.String("expires", "", "lifetime like 90d or 12h; empty for never")
	rest, err := fs.parse(args[1:])
	if err != nil {
		return err
	}
	if err := noArgs("apikey create", rest, ""); err != nil {
		return err
	}
	if err := fs.require("name", "role"); err != nil {
		return err
	}
	var expiresAt *time.Time
	if *expires != "" {
		d, err := parseLifetime(*expires)
		if err != nil {
			return fs.bad("expires", err.Error())
		}
		t := time.Now().Add(d).UTC()
		expiresAt = &t
	}
	db, closeDB, err := openForCLI(ctx, *dataDir)
	if err != nil {
		return err
	}
	defer closeDB()
	ctx = app.WithActor(ctx, cliActor)
	k, err := account.New(account.Options{DB: db}).CreateAPIKey(ctx, account.NewAPIKey{Name: *name, Role: app.Role(*role), ExpiresAt: expiresAt})
	if err != nil {
		return store.Explain(db.Path(), err)
	}
	fmt.Fprintf(stdout, "created %s API key %q (%s); it is shown once, below:\n%s\n", k.Role, k.Name, k.Prefix, k.Secret)
	return nil
}

// parseLifetime reads "90d" as days, anything else as a Go duration.
func parseLifetime(s string) (time.Duration, error) {
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		if _, err := fmt.Sscanf(days, "%d", &n); err != nil || fmt.Sprint(n) != days {
			return 0, errors.New("must be a number of days like 90d, or a duration like 12h")
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, errors.New("must be a number of days like 90d, or a duration like 12h")
		}
	}
	if d <= 0 {
		return 0, errors.New("must be positive")
	}
	return d, nil
}
