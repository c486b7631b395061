package media_test

import (
	"maps"
	"strings"
	"testing"

	"smartbot/app"
	"smartbot/app/media"
)

const mib = 1 << 20

func typeFor(t *testing.T, mime string) media.Type {
	t.Helper()
	typ, ok := media.TypeOf(mime)
	if !ok {
		t.Fatalf("no type %q", mime)
	}
	return typ
}

func TestTheDefaultLimitsAreWhatsAppsCaps(t *testing.T) {
	want := media.Limits{app.MediaImage: 5 * mib, app.MediaVideo: 16 * mib, app.MediaAudio: 16 * mib, app.MediaDocument: 100 * mib}
	if !maps.Equal(media.DefaultLimits, want) {
		t.Errorf("%v", media.DefaultLimits)
	}
	var none media.Limits
	for k, n := range want {
		if none.For(k) != n {
			t.Errorf("nil limits: %s %d, want %d", k, none.For(k), n)
		}
	}
	if none.Max() != 100*mib {
		t.Errorf("max %d", none.Max())
	}
	if none.For("sticker") != 0 {
		t.Errorf("a kind that is none has a cap")
	}
}

func TestLimitsLeftOutFallBackToTheDefaults(t *testing.T) {
	l := media.Limits{app.MediaImage: 1 * mib, app.MediaVideo: 0, app.MediaDocument: 200 * mib}
	for k, want := range map[app.MediaKind]int64{app.MediaImage: 1 * mib, app.MediaVideo: 16 * mib, app.MediaAudio: 16 * mib, app.MediaDocument: 200 * mib} {
		if got := l.For(k); got != want {
			t.Errorf("%s: %d, want %d", k, got, want)
		}
	}
	if l.Max() != 200*mib {
		t.Errorf("max %d", l.Max())
	}
}

func TestCheckRefusesAFileOverTheCapOfItsKind(t *testing.T) {
	l := media.Limits{app.MediaAudio: 700 << 10}
	for _, tc := range []struct {
		mime string
		size int64
		says string // "" when within the cap
	}{
		{"image/jpeg", 5 * mib, ""},
		{"image/png", 5*mib + 1, "The picture is 5.1 MB; Smartbot takes pictures of at most 5 MB."},
		{"image/webp", 6*mib + mib/5, "The picture is 6.2 MB; Smartbot takes pictures of at most 5 MB."},
		{"video/mp4", 16 * mib, ""},
		{"video/mp4", 17 * mib, "The video is 17.0 MB; Smartbot takes videos of at most 16 MB."},
		{"audio/ogg", 700 << 10, ""},
		{"audio/mpeg", 700<<10 + 1, "The audio file is 701 KB; Smartbot takes audio files of at most 700 KB."},
		{"application/pdf", 100 * mib, ""},
		{"application/pdf", 100*mib + 1, "The document is 100.1 MB; Smartbot takes documents of at most 100 MB."},
	} {
		err := l.Check(typeFor(t, tc.mime), tc.size)
		if tc.says == "" {
			if err != nil {
				t.Errorf("%s of %d bytes: %v", tc.mime, tc.size, err)
			}
			continue
		}
		if app.ErrorCode(err) != app.ETOOLARGE || app.ErrorMessage(err) != tc.says {
			t.Errorf("%s of %d bytes: %v, want ETOOLARGE %q", tc.mime, tc.size, err, tc.says)
		}
	}
	// A type of no kind gets the largest cap.
	if err := l.Check(media.Type{}, 100*mib+1); app.ErrorCode(err) != app.ETOOLARGE || !strings.HasPrefix(app.ErrorMessage(err), "The file is 100.1 MB") {
		t.Errorf("%v", err)
	}
}

func TestParseLimitsReadsCapsInTheUnitsPeopleWrite(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want media.Limits
	}{
		{"", media.DefaultLimits},
		{"  ", media.DefaultLimits},
		{"image=5MB,video=16MB", media.DefaultLimits},
		{"image=2mb, document = 50MiB", media.Limits{app.MediaImage: 2 * mib, app.MediaVideo: 16 * mib, app.MediaAudio: 16 * mib, app.MediaDocument: 50 * mib}},
		{"Audio=1048576,image=512 KB", media.Limits{app.MediaImage: 512 << 10, app.MediaVideo: 16 * mib, app.MediaAudio: mib, app.MediaDocument: 100 * mib}},
		{"document=1G,video=3000k,image=100b", media.Limits{app.MediaImage: 100, app.MediaVideo: 3000 << 10, app.MediaAudio: 16 * mib, app.MediaDocument: 1 << 30}},
	} {
		got, err := media.ParseLimits(tc.in)
		if err != nil || !maps.Equal(got, tc.want) {
			t.Errorf("%q: %v %v, want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestParseLimitsRefusesWhatItCannotRead(t *testing.T) {
	for in, says := range map[string]string{
		"image":                          `"image" has no '='`,
		"picture=5MB":                    `"picture" is not a kind of media`,
		"image=5.5MB":                    "the size of image",
		"image=0":                        "the size of image",
		"video=-1MB":                     "the size of video",
		"audio=5XB":                      "a unit that is not B, KB, MB or GB",
		"image=":                         "the size of image",
		"image=5MB,image=6MB":            "image is given twice",
		"document=99999999999999999GB":   "the size of document",
		"document=9999999999999GB":       "too large",
		"image=5MB,,video=1MB":           `"" has no '='`,
		"image=5MB;video=1MB":            "the size of image",
		"image=5 M B":                    "the size of image",
		"image=MB":                       "the size of image",
		"image=5MB,video=16MB,audio=MB5": "the size of audio",
	} {
		_, err := media.ParseLimits(in)
		msg := app.ErrorMessage(err)
		if app.ErrorCode(err) != app.EINVALID || !strings.Contains(msg, says) || !strings.HasSuffix(msg, "Write them like image=5MB,video=16MB,audio=16MB,document=100MB.") {
			t.Errorf("%q: %v, want EINVALID saying %q", in, err, says)
		}
	}
}

func TestLimitsWriteThemselvesAsParseLimitsReadsThem(t *testing.T) {
	for _, l := range []media.Limits{nil, media.DefaultLimits, {app.MediaImage: 512 << 10, app.MediaAudio: 1<<30 + 1, app.MediaDocument: 3 << 30}} {
		s := l.String()
		back, err := media.ParseLimits(s)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		for _, k := range []app.MediaKind{app.MediaImage, app.MediaVideo, app.MediaAudio, app.MediaDocument} {
			if back.For(k) != l.For(k) {
				t.Errorf("%q: %s %d, want %d", s, k, back.For(k), l.For(k))
			}
		}
	}
	if s := media.DefaultLimits.String(); s != "image=5MB,video=16MB,audio=16MB,document=100MB" {
		t.Errorf("%q", s)
	}
}
