package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
)

// newFlags returns a flag set for a command that prints its errors and
// usage to stderr and returns them rather than exiting.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("smartbot "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// envFlags are the flags that the environment can set too.
var envFlags = map[string]bool{"data-dir": true, "addr": true, "log-level": true, "shutdown-timeout": true, "secure-cookies": true}

// parse reads the environment into fs's settings flags (SMARTBOT_ + the flag
// name in capitals, dashes as underscores), then the command line over them,
// and returns the positional arguments. Flags may come before or after them.
// A bad value names the flag or variable it came from.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if err != nil || !envFlags[f.Name] {
			return
		}
		name := envName(f.Name)
		v, ok := os.LookupEnv(name)
		if !ok {
			return
		}
		if e := f.Value.Set(v); e != nil {
			err = fmt.Errorf("environment variable %s=%q: %v", name, v, e)
		}
	})
	if err != nil {
		return nil, err
	}
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			// The flag package has printed what was wrong, and the usage.
			return nil, errUsage
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func envName(flagName string) string {
	return "SMARTBOT_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// dataDirFlag registers --data-dir, which every command takes.
func dataDirFlag(fs *flag.FlagSet) *string {
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
