package media_test

import (
	"bytes"
	"encoding/binary"
	"testing"

	"smartbot/app/media"
	"smartbot/app/media/mediatest"
)

func TestEXIFOrientationReadsEveryValueInBothByteOrders(t *testing.T) {
	for _, order := range []binary.AppendByteOrder{binary.LittleEndian, binary.BigEndian} {
		for o := 1; o <= 8; o++ {
			block := mediatest.EXIF(order, o, true, 48.85, 2.35)
			if got := media.EXIFOrientation(block); got != o {
				t.Errorf("%v, bare TIFF: %d, want %d", order, got, o)
			}
			if got := media.EXIFOrientation(append([]byte("Exif\x00\x00"), block...)); got != o {
				t.Errorf("%v, APP1 payload: %d, want %d", order, got, o)
			}
		}
	}
}

// tiffIFD0 returns a little-endian TIFF header whose IFD0 at offset 8 holds
// these 12-byte entries.
func tiffIFD0(entries ...[]byte) []byte {
	b := []byte("II*\x00\x08\x00\x00\x00")
	b = binary.LittleEndian.AppendUint16(b, uint16(len(entries)))
	for _, e := range entries {
		b = append(b, e...)
	}
	return append(b, 0, 0, 0, 0)
}

// ifdEntry returns an IFD entry of tag, type, count and 4 bytes of value.
func ifdEntry(tag, typ uint16, count uint32, value uint32) []byte {
	b := binary.LittleEndian.AppendUint16(nil, tag)
	b = binary.LittleEndian.AppendUint16(b, typ)
	b = binary.LittleEndian.AppendUint32(b, count)
	return binary.LittleEndian.AppendUint32(b, value)
}

func TestEXIFOrientationReadsOneWhenTheBlockSaysNothingValid(t *testing.T) {
	valid := tiffIFD0(ifdEntry(0x010f, 2, 4, 0x0041), ifdEntry(0x0112, 3, 1, 6))
	if got := media.EXIFOrientation(valid); got != 6 {
		t.Fatalf("the valid block gives %d", got)
	}
	for _, tc := range []struct {
		name  string
		block []byte
		want  int
	}{
		{"a LONG value, as a few writers have it", tiffIFD0(ifdEntry(0x0112, 4, 1, 8)), 8},
		{"no orientation tag", tiffIFD0(ifdEntry(0x010f, 2, 4, 0x0041)), 1},
		{"orientation 0", tiffIFD0(ifdEntry(0x0112, 3, 1, 0)), 1},
		{"orientation 9", tiffIFD0(ifdEntry(0x0112, 3, 1, 9)), 1},
		{"a SHORT whose high bits are set", tiffIFD0(ifdEntry(0x0112, 3, 1, 0x10006)), 6},
		{"a LONG too large", tiffIFD0(ifdEntry(0x0112, 4, 1, 0x10006)), 1},
		{"two values", tiffIFD0(ifdEntry(0x0112, 3, 2, 6)), 1},
		{"an ASCII orientation", tiffIFD0(ifdEntry(0x0112, 2, 1, '6')), 1},
		{"nothing", nil, 1},
		{"only the APP1 identifier", []byte("Exif\x00\x00"), 1},
		{"a header of another format", append([]byte("XX*\x00"), valid[4:]...), 1},
		{"a little-endian mark with a big-endian magic number", append([]byte("II\x00*"), valid[4:]...), 1},
		{"an IFD offset past the end", append([]byte("II*\x00\xff\xff\xff\xff"), valid[8:]...), 1},
		{"an IFD offset into the header", append([]byte("II*\x00\x02\x00\x00\x00"), valid[8:]...), 1},
		{"an entry count larger than the block", append(bytes.Clone(valid[:8]), 0xff, 0xff), 1},
		{"an entry cut short", valid[:len(valid)-8], 1},
		{"the orientation entry cut in its value", valid[:8+2+12+10], 1},
	} {
		if got := media.EXIFOrientation(tc.block); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestEXIFOrientationSkipsTheEntriesBeforeIt(t *testing.T) {
	var entries [][]byte
	for tag := range uint16(200) {
		entries = append(entries, ifdEntry(tag, 3, 1, 3))
	}
	entries = append(entries, ifdEntry(0x0112, 3, 1, 7))
	if got := media.EXIFOrientation(tiffIFD0(entries...)); got != 7 {
		t.Errorf("%d, want 7", got)
	}
}
