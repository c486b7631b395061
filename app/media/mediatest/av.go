package mediatest

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// The files below have real headers, which is what Sniff reads; only PDF
// and MP3 are whole files that a reader or player takes. The others are
// enough to be told apart, not to be played.

// FileType returns the start of an ISO media file (MP4, M4A, HEIC…): an
// ftyp box with this major brand and these compatible brands, then an empty
// mdat box.
func FileType(major string, compatible ...string) []byte {
	body := append([]byte(major), 0, 0, 2, 0) // the brand and a minor version
	for _, c := range compatible {
		body = append(body, c...)
	}
	out := binary.BigEndian.AppendUint32(nil, uint32(8+len(body)))
	out = append(append(out, "ftyp"...), body...)
	return append(out, 0, 0, 0, 8, 'm', 'd', 'a', 't')
}

// MP4 returns the start of an MP4 video, as phones write it.
func MP4() []byte { return FileType("isom", "isom", "iso2", "avc1", "mp41") }

// M4A returns the start of an M4A (AAC in MP4) audio file.
func M4A() []byte { return FileType("M4A ", "M4A ", "mp42", "isom") }

// OggPage returns the first page of an OGG stream whose first packet is
// packet (at most 255 bytes), with its CRC.
func OggPage(packet []byte) []byte {
	if len(packet) > 255 {
		panic("mediatest: OggPage takes one segment of at most 255 bytes")
	}
	page := []byte("OggS\x00\x02")          // version 0, beginning of stream
	page = append(page, make([]byte, 8)...) // granule position
	page = binary.LittleEndian.AppendUint32(page, 0x736d6274)
	page = append(page, make([]byte, 8)...) // sequence number, CRC
	page = append(page, 1, byte(len(packet)))
	page = append(page, packet...)
	binary.LittleEndian.PutUint32(page[22:], oggCRC(page))
	return page
}

// oggCRC is OGG's CRC-32: polynomial 0x04C11DB7, not reflected, starting
// from 0.
func oggCRC(b []byte) uint32 {
	var crc uint32
	for _, c := range b {
		crc ^= uint32(c) << 24
		for range 8 {
			if crc&0x80000000 != 0 {
				crc = crc<<1 ^ 0x04c11db7
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// OggOpus returns the first page of an OGG Opus stream, as WhatsApp's voice
// notes begin: an OpusHead packet for one channel at 48 kHz.
func OggOpus() []byte {
	head := []byte("OpusHead\x01\x01")
	head = binary.LittleEndian.AppendUint16(head, 312)   // pre-skip
	head = binary.LittleEndian.AppendUint32(head, 48000) // input rate
	head = append(head, 0, 0, 0)                         // gain, mapping family
	return OggPage(head)
}

// MP3 returns frames frames of silent MPEG-1 layer III audio: 128 kbit/s,
// 44.1 kHz, stereo, 417 bytes each.
func MP3(frames int) []byte {
	frame := make([]byte, 417)
	copy(frame, "\xff\xfb\x90\x00")
	return bytes.Repeat(frame, frames)
}

// ID3 returns an ID3v2.4 tag holding one title frame padded to size bytes
// of body (at least 16), the way MP3 files often begin.
func ID3(size int) []byte {
	title := []byte("TIT2")
	title = binary.BigEndian.AppendUint32(title, 6) // ID3v2.4 frame sizes are syncsafe; 6 is 6
	title = append(title, 0, 0, 3, 't', 'e', 's', 't', 0)
	body := append(title, make([]byte, max(size-len(title), 0))...)
	out := []byte("ID3\x04\x00\x00")
	n := len(body)
	return append(append(out, byte(n>>21&0x7f), byte(n>>14&0x7f), byte(n>>7&0x7f), byte(n&0x7f)), body...)
}

// AAC returns frames ADTS frames of AAC-LC, 44.1 kHz, stereo, 32 bytes
// each (their contents are zeros).
func AAC(frames int) []byte {
	const length = 32
	frame := make([]byte, length)
	copy(frame, []byte{0xff, 0xf1, 0x50, 0x80 | length>>11, length >> 3 & 0xff, length&0x07<<5 | 0x1f, 0xfc})
	return bytes.Repeat(frame, frames)
}

// PDF returns a whole one-page PDF document, with a correct cross-reference
// table.
func PDF() []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	objects := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
	}
	offsets := make([]int, len(objects))
	for i, o := range objects {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objects)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objects)+1, xref)
	return b.Bytes()
}
