// Command smartbot runs the Smartbot shop assistant and its maintenance
// tasks: serve, migrate, backup, restore, version.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	// The timezone database, so shops' timezones work in the image, which
	// has no /usr/share/zoneinfo (about 450 KB).
	_ "time/tzdata"
)

const usage = `Smartbot: a WhatsApp shop assistant in one binary and one SQLite file.

Usage:
  smartbot serve   [--data-dir DIR] [--addr HOST:PORT]   run the server
  smartbot migrate [--data-dir DIR]                      apply pending schema migrations
  smartbot backup  [--data-dir DIR] [-o FILE] [--db-only] back up the shop (safe while serving)
  smartbot restore [--data-dir DIR] FILE                 restore a backup (server stopped)
  smartbot user create --email E --role R [--name N]  add a user (password on stdin, or generated)
  smartbot user reset-password --email E              set a new password (stdin, or generated)
  smartbot apikey create --name N --role R [--expires 90d]  make an API key, printed alone on the last line
  smartbot healthcheck [--addr HOST:PORT]                exit 0 if the server is ready
  smartbot version                                      print the version

Every flag can also be set with an environment variable: --data-dir is
SMARTBOT_DATA_DIR, --addr is SMARTBOT_ADDR, and so on (SMARTBOT_ + the flag
in capitals, dashes as underscores). Flags win over the environment.
Run 'smartbot COMMAND -h' for a command's flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	if code := report(err, os.Stderr); code != 0 {
		os.Exit(code)
	}
}

// report prints err for the person at the terminal, unless the flag package
// already has, and returns the exit status.
func report(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	if err != errUsage {
		fmt.Fprintln(stderr, "smartbot:", message(err))
	}
	return exitCode(err)
}

// errUsage marks a usage error: a command line of the wrong shape (unknown
// command or flag, missing required flag, wrong arguments), exit status 2.
// Alone, it means the flag package has already printed what was wrong.
var errUsage = errors.New("usage")

// usageError is a usage error with its own sentence.
type usageError struct{ msg string }

func (e *usageError) Error() string        { return e.msg }
func (e *usageError) Is(target error) bool { return target == errUsage }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

func exitCode(err error) int {
	if errors.Is(err, errUsage) {
		return 2
	}
	return 1
}

// run dispatches to the command named by args[0].
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return serve(ctx, rest, stdout, stderr)
	case "migrate":
		return migrate(ctx, rest, stdout, stderr)
	case "backup":
		return backup(ctx, rest, stdout, stderr)
	case "restore":
		return restore(ctx, rest, stdout, stderr)
	case "user":
		return user(ctx, rest, stdin, stdout, stderr)
	case "apikey":
		return apikey(ctx, rest, stdout, stderr)
	case "healthcheck":
		return healthcheck(ctx, rest, stdout, stderr)
	case "version", "--version", "-version":
		if err := noArgs("version", rest, ""); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "smartbot", version())
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprintf(stderr, "smartbot: unknown command %q\n\n%s", cmd, usage)
	return errUsage
}
