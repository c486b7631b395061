package mediatest

import "testing"

// OGG's CRC has no published check value of its own, but it is CRC-32/POSIX
// (cksum's) without the final inversion: 0x765E7680 ^ 0xFFFFFFFF.
func TestOggCRCIsCksumsWithoutTheFinalInversion(t *testing.T) {
	if got := oggCRC([]byte("123456789")); got != 0x89a1897f {
		t.Errorf("%#08x", got)
	}
}
