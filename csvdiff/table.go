package csvdiff

import (
	"bytes"
	"errors"
	"hash/maphash"
	"unicode/utf8"
)

// table is an open-addressing hash table from byte-string keys to values of type V. Keys are
// copied into one arena, so a million 36-byte keys cost about 36 MB plus 16 bytes each of
// index, not a string header and a heap object per key as map[string]V would.
//
// The zero value is not usable; call newTable.
type table[V any] struct {
	seed  maphash.Seed
	arena []byte
	ents  []tableEntry[V]
	slots []uint64 // 0 empty, else hash's high 32 bits << 32 | (index into ents + 1)
	mask  uint64
	// fold makes keys case-insensitive: they are stored and looked up lower-cased.
	fold    bool
	foldBuf []byte
}

type tableEntry[V any] struct {
	off  uint32
	klen uint32
	val  V
}

var errTableFull = errors.New("key table is larger than 4 GiB")

// newTable returns a table sized for about sizeHint keys of about 40 bytes. Presizing
// matters for large sets: growing copies the arena and leaves garbage behind, and capacity
// that is never written costs address space, not memory.
func newTable[V any](sizeHint int) *table[V] {
	n := 1024
	for n*3 < sizeHint*4 {
		n <<= 1
	}
	return &table[V]{seed: maphash.MakeSeed(), slots: make([]uint64, n), mask: uint64(n - 1),
		ents: make([]tableEntry[V], 0, sizeHint), arena: make([]byte, 0, sizeHint*24)}
}

// Keys are stored encoded: a canonical lower-case UUID (the shape of Northpass ids) takes
// 17 bytes instead of 36, which nearly halves the memory of a large key set. The encoding is
// injective: byte 0xFF starts a packed UUID, 0xFE escapes a raw key that starts with 0xFE or
// 0xFF (neither byte occurs in UTF-8 text), any other key is stored as it is.
const (
	tagUUID   = 0xFF
	tagEscape = 0xFE
)

// lower returns key lower-cased when the table folds case (in t.foldBuf when it changes).
func (t *table[V]) lower(key []byte) []byte {
	if !t.fold {
		return key
	}
	ascii, upper := true, false
	for _, c := range key {
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
		if 'A' <= c && c <= 'Z' {
			upper = true
		}
	}
	if !ascii {
		t.foldBuf = append(t.foldBuf[:0], bytes.ToLower(key)...)
		return t.foldBuf
	}
	if !upper {
		return key
	}
	t.foldBuf = append(t.foldBuf[:0], key...)
	for i, c := range t.foldBuf {
		if 'A' <= c && c <= 'Z' {
			t.foldBuf[i] = c + 'a' - 'A'
		}
	}
	return t.foldBuf
}

// encodeKey returns key's stored form, using buf when it must transform it.
func encodeKey(buf *[40]byte, key []byte) []byte {
	if len(key) == 36 && key[8] == '-' && key[13] == '-' && key[18] == '-' && key[23] == '-' {
		out := buf[:17]
		out[0] = tagUUID
		bad := byte(0)
		j := 1
		for _, i := range uuidHexAt {
			hi, lo := unhexTable[key[i]], unhexTable[key[i+1]]
			bad |= hi | lo
			out[j] = hi<<4 | lo&15
			j++
		}
		if bad > 15 {
			return escapeKey(buf, key)
		}
		return out
	}
	return escapeKey(buf, key)
}

func escapeKey(buf *[40]byte, key []byte) []byte {
	if len(key) > 0 && (key[0] == tagUUID || key[0] == tagEscape) {
		if len(key) < len(buf) {
			out := append(buf[:0], tagEscape)
			return append(out, key...)
		}
		return append([]byte{tagEscape}, key...)
	}
	return key
}

// unhexTable maps lower-case hex digits to their value and every other byte to 255 (upper
// case is kept raw so that keys stay case-sensitive).
var unhexTable = func() (t [256]byte) {
	for i := range t {
		t[i] = 255
	}
	for i, c := range hexdigits {
		t[c] = byte(i)
	}
	return t
}()

// decodeKey returns the original key of a stored one, using buf.
func decodeKey(buf *[40]byte, k []byte) []byte {
	switch {
	case len(k) == 17 && k[0] == tagUUID:
		out := buf[:0]
		for i, c := range k[1:] {
			if i == 4 || i == 6 || i == 8 || i == 10 {
				out = append(out, '-')
			}
			out = append(out, hexdigits[c>>4], hexdigits[c&15])
		}
		return out
	case len(k) > 0 && k[0] == tagEscape:
		return k[1:]
	}
	return k
}

const hexdigits = "0123456789abcdef"

// uuidHexAt holds the index of each hex pair in a canonical 36-byte UUID.
var uuidHexAt = [16]int{0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34}

// Len returns the number of keys.
func (t *table[V]) Len() int { return len(t.ents) }

func (t *table[V]) key(e *tableEntry[V]) []byte {
	return t.arena[e.off : e.off+e.klen : e.off+e.klen]
}

// find returns the slot index for key: either the slot holding it or the empty slot where
// it would go.
// The fingerprint (the hash's high half) in each slot lets a probe skip entries whose key
// differs without touching the entry or the arena: most probes cost one cache miss.
func (t *table[V]) find(key []byte) (slot uint64, fp uint64, found bool) {
	h := maphash.Bytes(t.seed, key)
	fp = h &^ 0xFFFFFFFF
	i := h & t.mask
	for {
		s := t.slots[i]
		if s == 0 {
			return i, fp, false
		}
		if s&^0xFFFFFFFF == fp && bytes.Equal(t.key(&t.ents[uint32(s)-1]), key) {
			return i, fp, true
		}
		i = (i + 1) & t.mask
	}
}

// Get returns a pointer to the value of key, or nil. The pointer is valid until the next
// insertion.
func (t *table[V]) Get(key []byte) *V {
	if len(t.ents) == 0 {
		return nil
	}
	var buf [40]byte
	slot, _, ok := t.find(encodeKey(&buf, t.lower(key)))
	if !ok {
		return nil
	}
	return &t.ents[uint32(t.slots[slot])-1].val
}

// Upsert returns a pointer to the value of key, inserting a zero value first if it is
// absent; inserted reports which. The pointer is valid until the next insertion.
func (t *table[V]) Upsert(key []byte) (v *V, inserted bool, err error) {
	var buf [40]byte
	key = encodeKey(&buf, t.lower(key))
	slot, fp, ok := t.find(key)
	if ok {
		return &t.ents[uint32(t.slots[slot])-1].val, false, nil
	}
	if uint64(len(t.arena))+uint64(len(key)) > 1<<32-1 {
		return nil, false, errTableFull
	}
	off := uint32(len(t.arena))
	t.arena = append(t.arena, key...)
	t.ents = append(t.ents, tableEntry[V]{off: off, klen: uint32(len(key))})
	t.slots[slot] = fp | uint64(len(t.ents))
	if uint64(len(t.ents))*4 > uint64(len(t.slots))*3 {
		t.grow()
	}
	return &t.ents[len(t.ents)-1].val, true, nil
}

func (t *table[V]) grow() {
	n := len(t.slots) * 2
	t.slots = make([]uint64, n)
	t.mask = uint64(n - 1)
	for k := range t.ents {
		h := maphash.Bytes(t.seed, t.key(&t.ents[k]))
		i := h & t.mask
		for t.slots[i] != 0 {
			i = (i + 1) & t.mask
		}
		t.slots[i] = h&^0xFFFFFFFF | uint64(k+1)
	}
}

// each calls fn for every key and value in insertion order until fn returns false.
func (t *table[V]) each(fn func(key []byte, v *V) bool) {
	var buf [40]byte
	for k := range t.ents {
		if !fn(decodeKey(&buf, t.key(&t.ents[k])), &t.ents[k].val) {
			return
		}
	}
}

// KeySet is a compact set of keys, each with an optional short value such as the
// Salesforce Id of the record. It is what [Index.Emit] anti-joins against. It is not safe
// for concurrent writes.
type KeySet struct {
	t    *table[span]
	vals []byte
}

type span struct{ off, n uint32 }

// NewKeySet returns an empty set sized for about sizeHint keys; with fold, keys compare
// case-insensitively (as Salesforce compares External ID fields that are not
// case-sensitive).
func NewKeySet(sizeHint int, fold bool) *KeySet {
	t := newTable[span](sizeHint)
	t.fold = fold
	return &KeySet{t: t}
}

// Add adds key with value (which may be empty). Adding a key twice keeps the first value.
func (s *KeySet) Add(key, value []byte) error {
	v, inserted, err := s.t.Upsert(key)
	if err != nil || !inserted {
		return err
	}
	*v = span{uint32(len(s.vals)), uint32(len(value))}
	s.vals = append(s.vals, value...)
	return nil
}

// Lookup reports whether key is in the set and returns its value.
func (s *KeySet) Lookup(key []byte) (value []byte, ok bool) {
	v := s.t.Get(key)
	if v == nil {
		return nil, false
	}
	return s.vals[v.off : v.off+v.n], true
}

// Len returns the number of keys in the set.
func (s *KeySet) Len() int { return s.t.Len() }
