package web

import "time"

// SetDefaultReadTimeout shortens the read deadline of routes that set none,
// for the duration of a test.
func SetDefaultReadTimeout(d time.Duration) (restore func()) {
	old := defaultReadTimeout
	defaultReadTimeout = d
	return func() { defaultReadTimeout = old }
}

// SetDashboardBuffer sets how many events a dashboard stream buffers, for
// the duration of a test.
func SetDashboardBuffer(n int) (restore func()) {
	old := dashboardBuffer
	dashboardBuffer = n
	return func() { dashboardBuffer = old }
}
