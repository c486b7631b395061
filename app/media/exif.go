package media

import (
	"bytes"
	"encoding/binary"
)

// EXIFOrientation returns the Orientation (1 to 8) an EXIF block records:
// a JPEG APP1 payload, which begins "Exif\0\0", or the bare TIFF structure
// a PNG eXIf chunk holds. It returns 1 when the block has none, or has one
// that is not valid, or is itself not valid.
//
// It reads only the first directory (IFD0), where the tag lives: no
// offset is followed but that one, each checked against the block's
// length before it is used, so it needs no recursion and does at most
// 65,535 steps whatever the block.
func EXIFOrientation(block []byte) int {
	b := bytes.TrimPrefix(block, []byte("Exif\x00\x00"))
	if len(b) < 8 {
		return 1
	}
	var order binary.ByteOrder
	switch string(b[:4]) {
	case "II*\x00":
		order = binary.LittleEndian
	case "MM\x00*":
		order = binary.BigEndian
	default:
		return 1
	}
	// Offsets are uint32 and are added up in uint64, which no sum of them
	// overflows.
	size := uint64(len(b))
	ifd := uint64(order.Uint32(b[4:]))
	if ifd < 8 || ifd+2 > size {
		return 1
	}
	count := uint64(order.Uint16(b[ifd:]))
	for i := range count {
		e := ifd + 2 + 12*i // tag (2), type (2), count (4), value (4)
		if e+12 > size {
			return 1
		}
		if order.Uint16(b[e:]) != 0x0112 {
			continue
		}
		if order.Uint32(b[e+4:]) != 1 {
			return 1
		}
		var v uint32
		switch order.Uint16(b[e+2:]) {
		case 3: // SHORT, as the standard says
			v = uint32(order.Uint16(b[e+8:]))
		case 4: // LONG, as a few writers have it
			v = order.Uint32(b[e+8:])
		default:
			return 1
		}
		if v < 1 || v > 8 {
			return 1
		}
		return int(v)
	}
	return 1
}
