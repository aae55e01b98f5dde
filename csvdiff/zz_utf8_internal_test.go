package csvdiff

import (
	"testing"
	"unicode/utf8"
)

var zzRow = []byte(`3f1c9a2e-6b4d-4e8a-9c71-0d2b5e7f8a01,1b2c3d4e-5f60-4718-9a2b-3c4d5e6f7081,jose.muller123@example.com,José Müller,2c3d4e5f-6071-4829-8a3b-4c5d6e7f8091,"Integrations, APIs & Webhooks",in_progress,42,2025-11-21T10:00:00Z,2025-11-22T10:00:00Z,,2025-11-23T10:00:00Z`)

func BenchmarkZZValid(b *testing.B) {
	for b.Loop() {
		utf8.Valid(zzRow)
	}
}
func BenchmarkZZIsUTF8(b *testing.B) {
	for b.Loop() {
		isUTF8(zzRow)
	}
}
