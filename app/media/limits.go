package media

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"smartbot/app"
)

// Limits are the size caps, in bytes, per kind of file. A kind that Limits
// leaves out, or sets to 0 or less, has DefaultLimits' cap; nil Limits are
// DefaultLimits.
type Limits map[app.MediaKind]int64

// DefaultLimits are WhatsApp's own caps. Do not change them in place: copy
// them (maps.Clone) or use ParseLimits.
var DefaultLimits = Limits{
	app.MediaImage:    5 << 20,
	app.MediaVideo:    16 << 20,
	app.MediaAudio:    16 << 20,
	app.MediaDocument: 100 << 20,
}

// kinds are the media kinds in the order Limits are written.
var kinds = []app.MediaKind{app.MediaImage, app.MediaVideo, app.MediaAudio, app.MediaDocument}

// For returns the cap for files of kind k, 0 for a kind that is not one.
func (l Limits) For(k app.MediaKind) int64 {
	if n := l[k]; n > 0 {
		return n
	}
	return DefaultLimits[k]
}

// Max returns the largest cap of all: the one that applies while a file's
// kind is not known yet.
func (l Limits) Max() int64 {
	var most int64
	for _, k := range kinds {
		most = max(most, l.For(k))
	}
	return most
}

// nouns name a kind of file in a sentence, one and many.
var nouns = map[app.MediaKind][2]string{
	app.MediaImage:    {"picture", "pictures"},
	app.MediaVideo:    {"video", "videos"},
	app.MediaAudio:    {"audio file", "audio files"},
	app.MediaDocument: {"document", "documents"},
}

// Check returns nil when a file of type t and size bytes is within the cap
// of its kind, else an ETOOLARGE *app.Error saying both sizes.
func (l Limits) Check(t Type, size int64) error {
	limit, noun := l.For(t.Kind), nouns[t.Kind]
	if limit == 0 {
		limit, noun = l.Max(), [2]string{"file", "files"}
	}
	if size <= limit {
		return nil
	}
	return &app.Error{
		Code:    app.ETOOLARGE,
		Message: fmt.Sprintf("The %s is %s; Smartbot takes %s of at most %s.", noun[0], sizeAbove(size), noun[1], sizeText(limit)),
		Fields:  []app.FieldError{{Field: "file", Message: "must be at most " + sizeText(limit)}},
	}
}

// sizeAbove writes the size of a file that is over a cap, as sizeText
// does but rounded up: a file a byte over 16 MB reads "16.1 MB", never
// "16.0 MB".
func sizeAbove(n int64) string {
	const kb, mb = 1 << 10, 1 << 20
	switch {
	case n >= mb:
		tenths := n/mb*10 + (n%mb*10+mb-1)/mb
		return fmt.Sprintf("%d.%d MB", tenths/10, tenths%10)
	case n >= kb:
		return fmt.Sprintf("%d KB", (n+kb-1)/kb)
	}
	return fmt.Sprintf("%d bytes", n)
}

// String writes l as ParseLimits reads it, every kind included.
func (l Limits) String() string {
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		n, unit := l.For(k), "B"
		for _, u := range units[1:] {
			if n%u.size == 0 {
				n, unit = n/u.size, u.name
				break
			}
		}
		parts[i] = string(k) + "=" + strconv.FormatInt(n, 10) + unit
	}
	return strings.Join(parts, ",")
}

// units are the size units ParseLimits reads, binary like WhatsApp's caps:
// bytes, then from the largest down, the order in which String looks for
// the largest that divides a cap.
var units = []struct {
	name string
	size int64
}{{"B", 1}, {"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}}

// ParseLimits reads size caps written as "image=5MB,video=16MB": kinds
// image, video, audio and document, each at most once, with whole sizes in
// B, KB, MB or GB (of 1,024; KiB, MiB and GiB too; plain numbers are bytes;
// case does not matter). Kinds it leaves out keep DefaultLimits' caps; "" gives
// DefaultLimits. A mistake is an EINVALID *app.Error naming it.
func ParseLimits(s string) (Limits, error) {
	l := Limits{}
	for _, k := range kinds {
		l[k] = DefaultLimits[k]
	}
	if strings.TrimSpace(s) == "" {
		return l, nil
	}
	bad := func(format string, args ...any) (Limits, error) {
		return nil, app.Errorf(app.EINVALID, "The media size limits %q are not valid: %s. Write them like image=5MB,video=16MB,audio=16MB,document=100MB.", s, fmt.Sprintf(format, args...))
	}
	seen := map[app.MediaKind]bool{}
	for part := range strings.SplitSeq(s, ",") {
		name, value, ok := strings.Cut(part, "=")
		k := app.MediaKind(strings.ToLower(strings.TrimSpace(name)))
		if !ok {
			return bad("%q has no '='", strings.TrimSpace(part))
		}
		if _, known := nouns[k]; !known {
			return bad("%q is not a kind of media (image, video, audio or document)", strings.TrimSpace(name))
		}
		if seen[k] {
			return bad("%s is given twice", k)
		}
		seen[k] = true
		n, err := parseSize(value)
		if err != "" {
			return bad("the size of %s %s", k, err)
		}
		l[k] = n
	}
	return l, nil
}

// parseSize reads a size like "16MB"; it returns why not when it cannot.
func parseSize(s string) (int64, string) {
	s = strings.ToUpper(strings.TrimSpace(s))
	digits := strings.TrimRight(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ ")
	unit := strings.TrimSpace(s[len(digits):])
	if len(unit) == 3 && strings.HasSuffix(unit, "IB") {
		unit = unit[:1] + "B" // MiB is what MB means here anyway
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Sprintf("(%q) is not a whole number of bytes above 0 with a unit", s)
	}
	for _, u := range units {
		if unit == u.name || unit != "" && unit+"B" == u.name {
			if n > math.MaxInt64/u.size {
				return 0, fmt.Sprintf("(%q) is too large", s)
			}
			return n * u.size, ""
		}
	}
	if unit == "" {
		return n, ""
	}
	return 0, fmt.Sprintf("(%q) has a unit that is not B, KB, MB or GB", s)
}
