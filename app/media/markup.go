package media

import "bytes"

// MarkupScanner looks through a file, as it is written to it, for the
// markup that would make the file dangerous if a browser ever took it for
// a web page: a valid JPEG with an HTML page appended, or hidden in a
// comment, is still a JPEG to Sniff (a "polyglot"). Markers are found
// whatever their case and however the file is cut into Writes. The zero
// value is ready to use.
//
// A tag marker (<script, <svg…) counts only when a byte that ends an HTML
// tag name follows it (whitespace, '/' or '>'), as a browser's parser
// requires: "<svgz" opens no svg element. That rule also keeps false
// alarms on real media rare. Compressed data is as good as random, and the
// shortest marker, "<svg" and its terminator, turns up at a given place in
// random bytes with a chance of 8·7/2⁴⁰ ≈ 5·10⁻¹¹: about once in 4,000
// pictures of 5 MB, once in 200 documents of 100 MB (which is why uploads
// are scanned only at their ends, see app/media's Receive). Every other
// marker is at least a byte longer and so at least 128 times rarer. An
// XML declaration ("<?xml") is not a marker: photos' XMP metadata may
// begin with one, and an SVG document is refused by Sniff, or by its
// "<svg" when hidden inside another file.
type MarkupScanner struct {
	found string
	// tail holds the last bytes written, where a marker cut by the
	// boundary between two Writes begins.
	tail  [longestMarker - 1]byte
	ntail int
}

// marker is one string MarkupScanner looks for.
type marker struct {
	text string // lower case
	tag  bool   // must be followed by a byte that ends a tag name
}

var markers = [...]marker{
	{"<script", true}, {"<html", true}, {"<body", true}, {"<svg", true}, {"<iframe", true},
	{"<object", true}, {"<embed", true}, {"<!doctype html", true},
	{"javascript:", false},
}

// longestMarker is the longest match: "<!doctype html" and its terminator.
const longestMarker = len("<!doctype html") + 1

const javascript = "javascript" // found by its colon, then looked back for

// Found returns the first marker written so far, in lower case and without
// its terminator ("<script"), or "" when there is none.
func (s *MarkupScanner) Found() string { return s.found }

// Write looks for markers in p. It never fails; once a marker is found it
// looks no further.
func (s *MarkupScanner) Write(p []byte) (int, error) {
	if s.found != "" || len(p) == 0 {
		return len(p), nil
	}
	if s.ntail > 0 {
		// Markers that begin in the tail and end in p: at most
		// longestMarker-1 bytes of p can take part.
		var joined [2 * (longestMarker - 1)]byte
		n := copy(joined[:], s.tail[:s.ntail])
		n += copy(joined[n:], p)
		for i := range s.ntail {
			if m := markerAt(joined[:n], i); m != "" {
				s.found = m
				return len(p), nil
			}
		}
	}
	if m := firstMarker(p); m != "" {
		s.found = m
		return len(p), nil
	}
	if len(p) >= len(s.tail) {
		s.ntail = copy(s.tail[:], p[len(p)-len(s.tail):])
	} else {
		keep := min(s.ntail, len(s.tail)-len(p))
		copy(s.tail[:], s.tail[s.ntail-keep:s.ntail])
		s.ntail = keep + copy(s.tail[keep:], p)
	}
	return len(p), nil
}

// firstMarker returns the marker that begins first in p and ends in it.
// bytes.IndexByte finds the candidates, '<' and the colon of
// "javascript:", much faster than a loop over every byte; each candidate is
// then checked where it stands.
func firstMarker(p []byte) string {
	found, at := "", len(p)
	for i := 0; i < len(p); {
		j := bytes.IndexByte(p[i:], '<')
		if j < 0 {
			break
		}
		j += i
		if m := markerAt(p, j); m != "" {
			found, at = m, j
			break
		}
		i = j + 1
	}
	// Only a "javascript:" that begins before the '<' marker can come
	// first, and as it holds no '<' it then ends before it too. One that
	// begins before p was looked for in the tail.
	end := at
	for i := len(javascript); i < end; {
		j := bytes.IndexByte(p[i:end], ':')
		if j < 0 {
			break
		}
		j += i
		if equalFold(p[j-len(javascript):j], javascript) {
			return "javascript:"
		}
		i = j + 1
	}
	return found
}

// markerAt returns the marker that begins at b[i] and ends inside b, or "".
func markerAt(b []byte, i int) string {
	switch b[i] {
	case '<':
		if i+1 < len(b) && !tagSecond[b[i+1]] {
			return "" // most '<' in media and in PDF syntax end here
		}
	case 'j', 'J':
	default:
		return ""
	}
	for _, m := range markers {
		end := i + len(m.text)
		if m.tag {
			end++
		}
		if end > len(b) || !equalFold(b[i:i+len(m.text)], m.text) || m.tag && !endsTag(b[end-1]) {
			continue
		}
		return m.text
	}
	return ""
}

// tagSecond tells the bytes that may follow '<' in a marker.
var tagSecond = func() (t [256]bool) {
	for _, m := range markers {
		if c := m.text[1]; m.text[0] == '<' {
			t[c] = true
			if 'a' <= c && c <= 'z' {
				t[c-'a'+'A'] = true
			}
		}
	}
	return t
}()

// endsTag reports whether c ends an HTML tag name: whitespace, '/' or '>'.
func endsTag(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\f', '\r', '/', '>':
		return true
	}
	return false
}

// equalFold reports whether b equals lower, ignoring ASCII case; lower is
// in lower case. Unlike bytes.EqualFold it folds nothing beyond ASCII (to
// it "ſ" is no "s"), like a browser reading tag names.
func equalFold(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := range len(b) {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}
