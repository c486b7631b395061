package messaging

import (
	"math/rand/v2"
	"sync"
	"time"

	"smartbot/app"
	"smartbot/store"
)

// pacer decides when the next message may go, under the shop's Pacing. It
// only keeps books; the sender snoozes its job for the wait it returns. A
// slot is taken when a message is admitted, before the transport is asked,
// so two workers never send into the same gap.
type pacer struct {
	mu  sync.Mutex
	cfg app.Pacing
	// next is when each chat may next be sent to.
	next map[string]time.Time
	// minute holds the send times of the last minute; cold those of the
	// last 24 hours to customers outside the 24-hour window. Both oldest
	// first.
	minute []time.Time
	cold   []time.Time
	// errors counts send errors in a row; open is when the breaker they
	// opened closes again.
	errors int
	open   time.Time
}

func newPacer(cfg app.Pacing) *pacer {
	return &pacer{cfg: cfg, next: make(map[string]time.Time)}
}

func (p *pacer) config() app.Pacing {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cfg
}

func (p *pacer) setConfig(cfg app.Pacing) {
	p.mu.Lock()
	p.cfg = cfg
	p.mu.Unlock()
}

// restore rebuilds the books from what the database says was sent.
func (p *pacer) restore(sent []store.SentTo, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.next = make(map[string]time.Time)
	p.minute, p.cold = nil, nil
	for _, s := range sent {
		if at := s.At.Add(p.cfg.ChatGap); at.After(p.next[s.Chat]) {
			p.next[s.Chat] = at
		}
		if s.At.After(now.Add(-time.Minute)) {
			p.minute = append(p.minute, s.At)
		}
		if s.Cold && s.At.After(now.Add(-24*time.Hour)) {
			p.cold = append(p.cold, s.At)
		}
	}
}

// admit reports how long a message to chat must still wait, and why; a
// zero wait takes the slot. cold marks a customer outside the 24-hour
// window. jitter is added to the chat's gap after this message.
func (p *pacer) admit(chat string, cold bool, now time.Time, jitter time.Duration) (time.Duration, string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if now.Before(p.open) {
		return p.open.Sub(now), "the send circuit breaker is open after repeated send errors"
	}
	if at, ok := p.next[chat]; ok && now.Before(at) {
		return at.Sub(now), "the gap between two messages to one chat"
	}
	p.minute = after(p.minute, now.Add(-time.Minute))
	if p.cfg.PerMinute > 0 && len(p.minute) >= p.cfg.PerMinute {
		return p.minute[0].Add(time.Minute).Sub(now), "the messages-per-minute limit"
	}
	p.cold = after(p.cold, now.Add(-24*time.Hour))
	if cold && p.cfg.ColdDailyCap >= 0 && len(p.cold) >= p.cfg.ColdDailyCap {
		wait := 24 * time.Hour
		if len(p.cold) > 0 {
			wait = p.cold[0].Add(24 * time.Hour).Sub(now)
		}
		return wait, "the daily cap on messages to customers who have not written in 24 hours"
	}
	p.next[chat] = now.Add(p.cfg.ChatGap + jitter)
	p.minute = append(p.minute, now)
	if cold {
		p.cold = append(p.cold, now)
	}
	return 0, ""
}

// failed counts a send error; enough in a row open the breaker. It reports
// how long the breaker is open, 0 when it is not.
func (p *pacer) failed(now time.Time) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.errors++
	if p.errors >= max(p.cfg.BreakerErrors, 1) {
		p.errors = 0
		p.open = now.Add(p.cfg.BreakerPause)
		return p.cfg.BreakerPause
	}
	return 0
}

// succeeded closes the count of errors in a row.
func (p *pacer) succeeded() {
	p.mu.Lock()
	p.errors = 0
	p.mu.Unlock()
}

// typing is how long "typing…" shows before a text of n characters.
func (p *pacer) typing(n int) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cfg.TypingMax <= 0 {
		return 0
	}
	return min(max(time.Duration(n)*p.cfg.TypingPerChar, p.cfg.TypingMin), p.cfg.TypingMax)
}

// jitterMax is the jitter range of the chat gap.
func (p *pacer) jitterMax() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cfg.ChatJitter
}

// after drops the times before t from the front of times.
func after(times []time.Time, t time.Time) []time.Time {
	i := 0
	for i < len(times) && !times[i].After(t) {
		i++
	}
	return times[i:]
}

func randomJitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return rand.N(d)
}
