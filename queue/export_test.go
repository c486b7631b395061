package queue

// Test hooks for the black-box tests of package queue_test.

// OnRound sets f to run in r's coordinator after each of its rounds, when
// the round's transaction has committed. Call it before Start.
func OnRound(r *Runner, f func()) { r.onRound = f }

// Stopping is closed when the first Shutdown begins.
func Stopping(r *Runner) <-chan struct{} { return r.stopping }

// Waiting is how many claimed jobs of queue name wait in memory for a worker.
func Waiting(r *Runner, name Name) int { return len(r.states[name].jobs) }
