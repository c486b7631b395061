package web

import "time"

// SetMessagesRefresh sets how often the inbox's streams re-read what they
// show, for the duration of a test: an hour leaves only the messaging
// service's changes to bring news.
func SetMessagesRefresh(d time.Duration) (restore func()) {
	old := messagesRefreshEvery
	messagesRefreshEvery = d
	return func() { messagesRefreshEvery = old }
}
