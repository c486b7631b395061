package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"smartbot/app"
	"smartbot/app/account"
	"smartbot/store"
)

// cliActor is who the audit log names for changes made from the command line.
var cliActor = app.Actor{Type: app.ActorSystem, Name: "cli"}

// openForCLI opens an existing data directory's database for a command that
// writes to it next to a running server (SQLite allows it).
func openForCLI(ctx context.Context, dataDir string) (*store.DB, error) {
	if err := store.CheckDataDir(dataDir); err != nil {
		return nil, err
	}
	return store.Open(ctx, store.Options{DataDir: dataDir})
}

// user runs 'smartbot user create|reset-password'.
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
	rest, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("user %s takes no arguments, got %q", sub, rest)
	}
	addr := app.NormalizeEmail(*email)
	if addr == "" {
		return errors.New("--email is required")
	}
	password, generated, err := readPassword(stdin)
	if err != nil {
		return err
	}
	if errs := app.ValidatePassword("password", password); errs != nil {
		return fmt.Errorf("the password on standard input %s", errs[0].Message)
	}
	if sub == "create" {
		if errs := app.ValidateUser(addr, strings.TrimSpace(*name), app.Role(*role)); len(errs) > 0 {
			return fmt.Errorf("--%s %s", errs[0].Field, errs[0].Message)
		}
	}
	db, err := openForCLI(ctx, *dataDir)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx = app.WithActor(ctx, cliActor)
	accounts := account.New(account.Options{DB: db})
	if sub == "create" {
		u, err := accounts.CreateUser(ctx, account.NewUser{Email: addr, Name: *name, Role: app.Role(*role), Password: password})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "created %s user %s\n", u.Role, u.Email)
	} else {
		u, err := db.UserByEmail(ctx, addr)
		if err != nil {
			return fmt.Errorf("no user with email %s", addr)
		}
		if err := accounts.SetPassword(ctx, u.ID, password); err != nil {
			return err
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
	rest, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("apikey create takes no arguments, got %q", rest)
	}
	if strings.TrimSpace(*name) == "" || len(*name) > 100 {
		return errors.New("--name is required: 1 to 100 characters saying what the key is for")
	}
	r := app.Role(*role)
	if !r.Valid() {
		return fmt.Errorf("--role %q must be owner, operator or viewer", *role)
	}
	var expiresAt *time.Time
	if *expires != "" {
		d, err := parseLifetime(*expires)
		if err != nil {
			return fmt.Errorf("--expires %q: %v", *expires, err)
		}
		t := time.Now().Add(d).UTC()
		expiresAt = &t
	}
	db, err := openForCLI(ctx, *dataDir)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx = app.WithActor(ctx, cliActor)
	k, err := account.New(account.Options{DB: db}).CreateAPIKey(ctx, account.NewAPIKey{Name: *name, Role: r, ExpiresAt: expiresAt})
	if err != nil {
		return err
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
