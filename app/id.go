package app

import (
	"crypto/rand"
	"encoding/base32"
	"strings"
)

// Id prefixes of the public resource ids (DESIGN.md §13).
const (
	PrefixTemplate = "tpl_"
	PrefixMedia    = "med_"
	PrefixProduct  = "prd_"
	PrefixOrder    = "ord_"
	PrefixCustomer = "cus_"
	PrefixMessage  = "msg_"
	PrefixWebhook  = "whk_"
	PrefixEvent    = "evt_"
	PrefixDelivery = "dlv_"
	PrefixPayment  = "pay_"
	PrefixUser     = "usr_"
	PrefixAPIKey   = "key_"
)

var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// NewID returns prefix followed by 26 random characters (128 bits).
func NewID(prefix string) string {
	var b [16]byte
	rand.Read(b[:])
	return prefix + idEncoding.EncodeToString(b[:])
}

// ValidID reports whether s looks like an id NewID made with prefix. It lets
// the edges refuse hostile ids (path traversal, huge strings) before any query.
func ValidID(prefix, s string) bool {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok || len(rest) != 26 {
		return false
	}
	for _, c := range rest {
		if !strings.ContainsRune("0123456789abcdefghjkmnpqrstvwxyz", c) {
			return false
		}
	}
	return true
}
