package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// LockFileName is the lock file inside the data directory.
const LockFileName = "smartbot.lock"

// ErrLocked is returned by LockDataDir, and by Restore, when another holder
// (a running server) has the data directory locked.
var ErrLocked = errors.New("data directory is locked")

// LockDataDir takes an exclusive, non-blocking lock on dir/smartbot.lock,
// creating dir if needed. serve holds it for its lifetime, and restore takes
// it so it never replaces files under a live server. A second holder, in this
// process or another, gets an error matching ErrLocked. Call unlock when
// done (a deferred call is fine); calling it again does nothing.
//
// The lock is flock(2): the kernel drops it when the process dies, so a
// crashed server never leaves a stale lock behind. The file itself is left in
// place on unlock; removing it would let two holders lock different inodes.
func LockDataDir(dir string) (unlock func() error, err error) {
	if err := CheckDataDir(dir); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, LockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("store: lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder := lockHolder(f)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: a Smartbot server seems to be running on %s%s; stop it first", ErrLocked, dir, holder)
		}
		return nil, fmt.Errorf("store: lock %s: %w", path, err)
	}
	// The pid is for people reading the error above; the lock is the flock.
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	// Once, so a deferred unlock after an explicit one is harmless. The
	// closure also keeps f reachable: a collected *os.File closes its
	// descriptor, and that would silently drop the lock.
	var once sync.Once
	var unlockErr error
	return func() error {
		once.Do(func() {
			if err := errors.Join(syscall.Flock(int(f.Fd()), syscall.LOCK_UN), f.Close()); err != nil {
				unlockErr = fmt.Errorf("store: unlock %s: %w", path, err)
			}
		})
		return unlockErr
	}, nil
}

// lockHolder describes the process named in the lock file, if it names one.
func lockHolder(f *os.File) string {
	b := make([]byte, 32)
	n, _ := f.ReadAt(b, 0)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b[:n])))
	if err != nil || pid <= 0 {
		return ""
	}
	return fmt.Sprintf(" (pid %d)", pid)
}
