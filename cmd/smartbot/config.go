package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// flags is a command's flag set. It remembers which settings the
// environment gave, so that an error about a value says where it came from.
type flags struct {
	*flag.FlagSet
	fromEnv map[string]bool
}

// newFlags returns a flag set for a command that prints its errors and
// usage to stderr and returns them rather than exiting.
func newFlags(name string, stderr io.Writer) *flags {
	fs := flag.NewFlagSet("smartbot "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return &flags{FlagSet: fs, fromEnv: map[string]bool{}}
}

// envFlags are the flags that the environment can set too.
var envFlags = map[string]bool{"data-dir": true, "addr": true, "log-level": true, "shutdown-timeout": true, "secure-cookies": true, "media-limits": true}

// parse reads the environment into the settings flags (SMARTBOT_ + the flag
// name in capitals, dashes as underscores), then the command line over them,
// and returns the positional arguments. Flags may come before or after them.
// A bad value names the flag, its variable and what it may be.
func (f *flags) parse(args []string) ([]string, error) {
	var err error
	f.VisitAll(func(fl *flag.Flag) {
		if err != nil || !envFlags[fl.Name] {
			return
		}
		v, ok := os.LookupEnv(envName(fl.Name))
		if !ok {
			return
		}
		f.fromEnv[fl.Name] = true
		if e := fl.Value.Set(v); e != nil {
			// flag.Value's own errors say little ("parse error").
			err = f.badValue(fl.Name, v, e.Error())
		}
	})
	if err != nil {
		return nil, err
	}
	var positional []string
	for {
		if err := f.Parse(args); err != nil {
			// The flag package has printed what was wrong, and the usage.
			return nil, errUsage
		}
		if f.NArg() == 0 {
			break
		}
		positional = append(positional, f.Arg(0))
		args = f.Args()[1:]
	}
	// What the command line set no longer comes from the environment.
	f.Visit(func(fl *flag.Flag) { delete(f.fromEnv, fl.Name) })
	if d := f.Lookup("data-dir"); d != nil && d.Value.String() == "" {
		return nil, f.bad("data-dir", "is empty: give the directory for the database and media, like ./data")
	}
	return positional, nil
}

// bad is the error for flag name's current value: problem says what is
// wrong with it and what it may be.
func (f *flags) bad(name, problem string) error {
	return f.badValue(name, f.Lookup(name).Value.String(), problem)
}

// badValue names where value came from first, then the other way to set it:
// SMARTBOT_ADDR="x" (--addr) …, or --addr "x" (SMARTBOT_ADDR) ….
func (f *flags) badValue(name, value, problem string) error {
	switch {
	case f.fromEnv[name]:
		return fmt.Errorf("%s=%q (--%s) %s", envName(name), value, name, problem)
	case envFlags[name]:
		return fmt.Errorf("--%s %q (%s) %s", name, value, envName(name), problem)
	}
	return fmt.Errorf("--%s %q %s", name, value, problem)
}

// boolValue is a bool flag whose bad value says what it may be; the flag
// package's own says only "parse error".
type boolValue bool

func (b *boolValue) String() string   { return strconv.FormatBool(bool(*b)) }
func (b *boolValue) IsBoolFlag() bool { return true }
func (b *boolValue) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return errors.New("must be true or false")
	}
	*b = boolValue(v)
	return nil
}

// Bool defines a bool flag like flag.FlagSet.Bool, with a clearer error.
func (f *flags) Bool(name string, value bool, usage string) *bool {
	p := new(bool)
	*p = value
	f.Var((*boolValue)(p), name, usage)
	return p
}

// require is a usage error for the first of names given no value.
func (f *flags) require(names ...string) error {
	for _, name := range names {
		if fl := f.Lookup(name); fl.Value.String() == "" {
			return usagef("--%s is required: %s", name, fl.Usage)
		}
	}
	return nil
}

// noArgs is a usage error when a command that takes no arguments got some.
func noArgs(cmd string, rest []string, hint string) error {
	if len(rest) == 0 {
		return nil
	}
	return usagef("%s takes no arguments, got %q%s", cmd, rest, hint)
}

func envName(flagName string) string {
	return "SMARTBOT_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// dataDirFlag registers --data-dir, which every command takes.
func dataDirFlag(fs *flags) *string {
	return fs.String("data-dir", "./data", "directory for smartbot.db, media/ and backups/")
}

// Version is set at build time with -ldflags "-X main.Version=v1.2.3".
var Version string

// version is Version, or else what the Go toolchain recorded of the build.
func version() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		v := bi.Main.Version
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "dev-" + s.Value[:12]
			}
		}
		if v != "" && v != "(devel)" {
			return v
		}
	}
	return "dev"
}
