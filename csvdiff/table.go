package csvdiff

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/maphash"
	"unicode/utf8"
)

// table is an open-addressing hash table from byte-string keys to small payloads. Each
// entry is written once into an arena of chunks (no per-key allocation, nothing copied when
// the table grows): a header, the key, then the payload the caller lays out. A canonical
// lower-case UUID (the shape of Northpass ids) is stored packed, 1+16 bytes instead of 36;
// any other key as its length and bytes. A slot is 6 bytes: the entry's offset and 16 bits
// of its hash, so a probe skips entries whose key differs without touching the arena.
//
// Memory per key: the entry (17 bytes for a UUID plus the payload) and 8 to 12 bytes of
// slots (50% to 75% full: the table grows by half, not by double, when it is three quarters
// full). See BenchmarkBytesPerKey.
//
// The zero value is not usable; call newTable.
type table struct {
	seed   maphash.Seed
	chunks [][]byte // the arena; an entry never spans two chunks
	slots  []byte   // slotSize bytes each (and 2 of padding): 0 empty, else fp << 32 | (entry offset + 1)
	nslots int
	n      int // entries
	// pay is the payload's size in bytes, or payVar (see varPayload).
	pay int
	// fold makes keys case-insensitive: they are stored and looked up lower-cased.
	fold    bool
	foldBuf []byte
}

const (
	payVar = -1
	// An entry's offset is its chunk's index << chunkBits | its position in the chunk.
	chunkBits = 20
	chunkMax  = 1 << chunkBits // the largest chunk, but for an entry larger than that
	maxChunks = 1<<(32-chunkBits) - 1
	// uuidHeader is the header byte of a packed UUID; any other header is a uvarint
	// holding twice the key's length.
	uuidHeader = 1
	uuidMix    = 0x9e3779b97f4a7c15 // folded into a packed UUID's hash, so that it differs from a raw key of the same bytes
	slotSize   = 6
	fpShift    = 48 // a slot's fingerprint is the hash's top 16 bits
)

func (t *table) slot(i int) uint64 {
	return binary.LittleEndian.Uint64(t.slots[i*slotSize:]) & (1<<48 - 1)
}

func (t *table) setSlot(i int, h uint64, off uint32) {
	binary.LittleEndian.PutUint32(t.slots[i*slotSize:], off+1)
	binary.LittleEndian.PutUint16(t.slots[i*slotSize+4:], uint16(h>>fpShift))
}

func (t *table) makeSlots(n int) {
	t.slots, t.nslots = make([]byte, n*slotSize+2), n
}

var errTableFull = errors.New("key table is larger than 4 GiB")

// newTable returns a table for keys with payloads of pay bytes (or payVar), with slots for
// about sizeHint keys (at most 131,072 at first: hints are often upper bounds, and the table
// grows by half as it fills).
func newTable(sizeHint, pay int) *table {
	n := 1024
	for n*3 < min(sizeHint, 1<<17)*4 {
		n <<= 1
	}
	t := &table{seed: maphash.MakeSeed(), pay: pay}
	t.makeSlots(n)
	return t
}

// lower returns key lower-cased when the table folds case (in t.foldBuf when it changes).
func (t *table) lower(key []byte) []byte {
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

// uuid packs key into buf when it is a canonical lower-case UUID.
func uuid(buf *[16]byte, key []byte) bool {
	if len(key) != 36 || key[8] != '-' || key[13] != '-' || key[18] != '-' || key[23] != '-' {
		return false
	}
	bad := byte(0)
	for j, i := range uuidHexAt {
		hi, lo := unhexTable[key[i]], unhexTable[key[i+1]]
		bad |= hi | lo
		buf[j] = hi<<4 | lo&15
	}
	return bad <= 15
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

const hexdigits = "0123456789abcdef"

// uuidHexAt holds the index of each hex pair in a canonical 36-byte UUID.
var uuidHexAt = [16]int{0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34}

// probe is a key made ready for the table: its stored bytes (packed in buf, or raw) and
// its hash. (It points into itself nowhere, so that it stays on the stack.)
type probe struct {
	packed bool
	raw    []byte
	hash   uint64
	buf    [16]byte
}

func (t *table) probeOf(p *probe, key []byte) {
	key = t.lower(key)
	p.packed = uuid(&p.buf, key)
	if p.packed {
		p.hash = maphash.Bytes(t.seed, p.buf[:]) ^ uuidMix
		return
	}
	p.raw = key
	p.hash = maphash.Bytes(t.seed, key)
}

// key returns p's stored bytes.
func (p *probe) key() []byte {
	if p.packed {
		return p.buf[:]
	}
	return p.raw
}

// Len returns the number of keys.
func (t *table) Len() int { return t.n }

// entry returns the bytes of the entry at off, from its header to the end of its chunk.
func (t *table) entry(off uint32) []byte {
	return t.chunks[off>>chunkBits][off&(chunkMax-1):]
}

// split returns an entry's key (packed or not) and the bytes after it (its payload first).
func splitEntry(e []byte) (packed bool, key, rest []byte) {
	if e[0] == uuidHeader {
		return true, e[1:17], e[17:]
	}
	v, n := binary.Uvarint(e)
	k := int(v / 2)
	return false, e[n : n+k], e[n+k:]
}

// find returns the slot index for p: either the slot holding it or the empty slot where it
// would go.
func (t *table) find(p *probe) (slot int, found bool) {
	fp := p.hash >> fpShift << 32
	i := int((p.hash & 0xFFFFFFFF) * uint64(t.nslots) >> 32)
	for {
		s := t.slot(i)
		if s == 0 {
			return i, false
		}
		if s&^0xFFFFFFFF == fp {
			packed, k, _ := splitEntry(t.entry(uint32(s) - 1))
			if packed == p.packed && bytes.Equal(k, p.key()) {
				return i, true
			}
		}
		if i++; i == t.nslots {
			i = 0
		}
	}
}

// payload returns the payload of the entry at slot (and the rest of its chunk).
func (t *table) payload(slot int) []byte {
	_, _, rest := splitEntry(t.entry(uint32(t.slot(slot)) - 1))
	return rest
}

// get returns the payload of key (and the rest of its chunk), or nil.
func (t *table) get(key []byte) []byte {
	if t.n == 0 {
		return nil
	}
	var p probe
	t.probeOf(&p, key)
	slot, ok := t.find(&p)
	if !ok {
		return nil
	}
	return t.payload(slot)
}

// upsert returns the payload of key, adding the key with a zeroed payload of pay bytes
// first if it is absent; inserted reports which. The slice is valid until the next upsert.
func (t *table) upsert(key []byte, pay int) (v []byte, inserted bool, err error) {
	var p probe
	t.probeOf(&p, key)
	slot, ok := t.find(&p)
	if ok {
		return t.payload(slot), false, nil
	}
	var hdr [binary.MaxVarintLen64]byte
	h, klen := 1, 16
	if p.packed {
		hdr[0] = uuidHeader
	} else {
		klen = len(p.raw)
		h = binary.PutUvarint(hdr[:], uint64(klen)*2)
	}
	size := h + klen + pay
	off, e, err := t.alloc(size)
	if err != nil {
		return nil, false, err
	}
	copy(e, hdr[:h])
	if p.packed {
		copy(e[h:], p.buf[:])
	} else {
		copy(e[h:], p.raw)
	}
	t.setSlot(slot, p.hash, off)
	t.n++
	v = e[h+klen:]
	if t.n*4 > t.nslots*3 {
		t.grow()
	}
	return v, true, nil
}

// alloc returns room for an entry of size bytes at the end of the arena, and its offset.
func (t *table) alloc(size int) (uint32, []byte, error) {
	last := len(t.chunks) - 1
	if last < 0 || len(t.chunks[last])+size > cap(t.chunks[last]) || len(t.chunks[last]) >= chunkMax {
		if len(t.chunks) >= maxChunks {
			return 0, nil, errTableFull
		}
		// Chunks start small (tests make many small sets) and double up to chunkMax.
		c := 4 << 10
		if last >= 0 {
			c = min(2*cap(t.chunks[last]), chunkMax)
		}
		t.chunks = append(t.chunks, make([]byte, 0, max(c, size)))
		last++
	}
	c := t.chunks[last]
	off := uint32(last)<<chunkBits | uint32(len(c))
	t.chunks[last] = c[:len(c)+size]
	return off, t.chunks[last][len(c) : len(c)+size : len(c)+size], nil
}

// grow makes the slots half as many again and places every entry anew.
func (t *table) grow() {
	t.makeSlots(t.nslots * 3 / 2)
	n := uint64(t.nslots)
	t.eachEntry(func(off uint32, packed bool, key, _ []byte) bool {
		h := maphash.Bytes(t.seed, key)
		if packed {
			h ^= uuidMix
		}
		i := int((h & 0xFFFFFFFF) * n >> 32)
		for t.slot(i) != 0 {
			if i++; i == t.nslots {
				i = 0
			}
		}
		t.setSlot(i, h, off)
		return true
	})
}

// eachEntry calls fn for every entry in insertion order until fn returns false.
func (t *table) eachEntry(fn func(off uint32, packed bool, key, payload []byte) bool) {
	for ci, c := range t.chunks {
		for pos := 0; pos < len(c); {
			packed, key, rest := splitEntry(c[pos:])
			pay := t.pay
			if pay == payVar {
				pay = varPayload(rest)
			}
			if !fn(uint32(ci)<<chunkBits|uint32(pos), packed, key, rest[:pay]) {
				return
			}
			pos = len(c) - len(rest) + pay
		}
	}
}

// each calls fn for every key (as it was given, lower-cased when the table folds) and its
// payload in insertion order until fn returns false.
func (t *table) each(fn func(key, payload []byte) bool) {
	var buf [36]byte
	t.eachEntry(func(_ uint32, packed bool, key, payload []byte) bool {
		if packed {
			out := buf[:0]
			for i, c := range key {
				if i == 4 || i == 6 || i == 8 || i == 10 {
					out = append(out, '-')
				}
				out = append(out, hexdigits[c>>4], hexdigits[c&15])
			}
			key = out
		}
		return fn(key, payload)
	})
}

// KeySet is a compact set of keys, each with an optional short value such as the
// Salesforce Id of the record. It is what [Index.Emit] anti-joins against. It is not safe
// for concurrent use. A key costs its entry (17 bytes for a UUID; its value, 13 bytes for
// an 18-character Salesforce Id, packed) and 8 to 12 bytes of slots.
type KeySet struct {
	t     *table
	idBuf [18]byte
}

// NewKeySet returns an empty set sized for about sizeHint keys; with fold, keys compare
// case-insensitively (as Salesforce compares External ID fields that are not
// case-sensitive).
func NewKeySet(sizeHint int, fold bool) *KeySet {
	t := newTable(sizeHint, payVar)
	t.fold = fold
	return &KeySet{t: t}
}

// A value is stored after a uvarint header: 1 for a packed Salesforce Id (12 bytes
// follow), else twice its length (its bytes follow).
const packedID = 1

// varPayload returns the size of the payVar payload at the start of b: a KeySet's value.
func varPayload(b []byte) int {
	v, n := binary.Uvarint(b)
	if v == packedID {
		return n + 12
	}
	return n + int(v/2)
}

// Add adds key with value (which may be empty). Adding a key twice keeps the first value.
func (s *KeySet) Add(key, value []byte) error {
	var id [12]byte
	if packID(&id, value) {
		v, inserted, err := s.t.upsert(key, 1+len(id))
		if inserted {
			v[0] = packedID
			copy(v[1:], id[:])
		}
		return err
	}
	var n [binary.MaxVarintLen64]byte
	h := binary.PutUvarint(n[:], uint64(len(value))*2)
	v, inserted, err := s.t.upsert(key, h+len(value))
	if err != nil || !inserted {
		return err
	}
	copy(v, n[:h])
	copy(v[h:], value)
	return nil
}

// Lookup reports whether key is in the set and returns its value, valid until the next
// call.
func (s *KeySet) Lookup(key []byte) (value []byte, ok bool) {
	v := s.t.get(key)
	if v == nil {
		return nil, false
	}
	if v[0] == packedID {
		return unpackID(&s.idBuf, v[1:13]), true
	}
	n, h := binary.Uvarint(v)
	n /= 2
	return v[h : h+int(n) : h+int(n)], true
}

// The 62 characters of a Salesforce Id, by their 6-bit code.
const idChars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

var idCode = func() (t [256]byte) {
	for i := range t {
		t[i] = 255
	}
	for i := range len(idChars) {
		t[idChars[i]] = byte(i)
	}
	return t
}()

// packID packs an 18-character Salesforce Id (15 characters and the 3 that encode their
// case, checked) into 12 bytes; it reports false for any other value, kept as it is.
func packID(out *[12]byte, v []byte) bool {
	if len(v) != 18 {
		return false
	}
	var lo, hi uint64 // 90 bits, 6 per character
	for i := 0; i < 15; i++ {
		c := idCode[v[i]]
		if c == 255 {
			return false
		}
		if i < 10 {
			lo |= uint64(c) << (6 * i)
		} else {
			hi |= uint64(c) << (6 * (i - 10))
		}
	}
	if suffix := idSuffix(v[:15]); string(suffix[:]) != string(v[15:]) {
		return false
	}
	binary.LittleEndian.PutUint64(out[:], lo)
	binary.LittleEndian.PutUint32(out[8:], uint32(hi))
	return true
}

// unpackID returns the 18-character Id packed in p, in buf.
func unpackID(buf *[18]byte, p []byte) []byte {
	lo, hi := binary.LittleEndian.Uint64(p), uint64(binary.LittleEndian.Uint32(p[8:]))
	for i := 0; i < 15; i++ {
		if i < 10 {
			buf[i] = idChars[lo>>(6*i)&63]
		} else {
			buf[i] = idChars[hi>>(6*(i-10))&63]
		}
	}
	suffix := idSuffix(buf[:15])
	copy(buf[15:], suffix[:])
	return buf[:]
}

// idSuffix returns the 3 characters Salesforce appends to a 15-character Id: per block of
// 5, which of them are upper-case letters.
func idSuffix(id []byte) [3]byte {
	var out [3]byte
	for b := 0; b < 3; b++ {
		flags := 0
		for j := 0; j < 5; j++ {
			if c := id[b*5+j]; 'A' <= c && c <= 'Z' {
				flags |= 1 << j
			}
		}
		out[b] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"[flags]
	}
	return out
}

// Len returns the number of keys in the set.
func (s *KeySet) Len() int { return s.t.Len() }
