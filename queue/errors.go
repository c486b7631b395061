package queue

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// permanentError marks a failure that retrying cannot fix.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent wraps err so the runner moves the job to the dead letters at
// once instead of retrying it.
func Permanent(err error) error { return permanentError{err} }

// retryAfterError asks for the next attempt no sooner than after.
type retryAfterError struct {
	err   error
	after time.Duration
}

func (e retryAfterError) Error() string { return e.err.Error() }
func (e retryAfterError) Unwrap() error { return e.err }

// RetryAfter wraps err so the next attempt waits d instead of the queue's
// backoff (a webhook endpoint's Retry-After, a rate limit's reset).
func RetryAfter(err error, d time.Duration) error { return retryAfterError{err, d} }

// snoozeError puts a job back for a while without spending an attempt.
type snoozeError struct{ d time.Duration }

func (e snoozeError) Error() string { return fmt.Sprintf("snoozed for %s", e.d) }

// Snooze returns an error that puts the job back in its queue for d without
// spending an attempt: the job comes back after d with the same Attempt.
// A handler returns it, as is or wrapped, when the job cannot run yet
// through no fault of its own: a webhook endpoint's Retry-After, WhatsApp's
// pacing, an open send circuit breaker, a paused connection. A job can snooze
// any number of times. RetryAfter, by contrast, is a failure: it spends an
// attempt and only chooses the delay. A negative d counts as zero.
func Snooze(d time.Duration) error { return snoozeError{max(d, 0)} }

// Snoozed reports whether err asks to snooze, and for how long. The runner
// asks it of every failed job; a test driving a handler by hand learns from
// it when to come back.
func Snoozed(err error) (time.Duration, bool) {
	var s snoozeError
	if errors.As(err, &s) {
		return s.d, true
	}
	return 0, false
}

// Exponential returns a backoff that doubles from base up to max, with equal
// jitter: the delay before attempt n+1 is somewhere in [d/2, d) where
// d = base·2^(n-1), so jobs that failed together do not retry together.
func Exponential(base, max time.Duration) func(attempt int) time.Duration {
	return func(attempt int) time.Duration {
		d := base
		for i := 1; i < attempt && d < max; i++ {
			d *= 2
		}
		d = min(d, max)
		half := d / 2
		if half <= 0 {
			return d
		}
		return half + rand.N(half)
	}
}

// Schedule returns a backoff that follows delays, one per attempt, with
// ±10% jitter, and repeats the last one past the end.
func Schedule(delays ...time.Duration) func(attempt int) time.Duration {
	return func(attempt int) time.Duration {
		d := delays[min(max(attempt-1, 0), len(delays)-1)]
		if tenth := d / 10; tenth > 0 {
			d += rand.N(2*tenth) - tenth
		}
		return d
	}
}

// nextDelay is how long to wait after attempt failed with err, and whether
// to give up instead.
func nextDelay(err error, attempt int, cfg Config) (time.Duration, bool) {
	if errors.As(err, new(permanentError)) || attempt >= cfg.MaxAttempts {
		return 0, false
	}
	var ra retryAfterError
	if errors.As(err, &ra) {
		return ra.after, true
	}
	return cfg.Backoff(attempt), true
}
