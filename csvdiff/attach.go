package csvdiff

import "encoding/binary"

// Attached data: after the first pass, a candidate's dedup entry needs only the winner's
// row (for a duplicate's "kept line"); the 8 bytes of its "Updated At" are free. [Index.Attach]
// uses them to hold the offset of a value kept in an arena of its own, so that a caller with
// something to keep per candidate (plan keeps each existing record's Salesforce Id and the
// hashes of its compared fields) needs no second table of the same keys.

// attachment is the attached values of an Index, in an arena like a table's (only its
// chunks are used).
type attachment struct {
	arena table
	n     int
	idBuf [18]byte
}

// Attach keeps id and data with candidate key, for [Index.Attached]: id is packed into 12
// bytes when it is an 18-character Salesforce Id, kept as it is otherwise. It reports false,
// and keeps nothing, when key is not a candidate; attaching to a key twice keeps the first.
// Call it after [Scan], never during [Index.Emit].
func (x *Index) Attach(key, id, data []byte) (bool, error) {
	if x.att == nil {
		x.att = &attachment{}
		// The winners' "Updated At" served the first pass only: 0 now means nothing attached.
		x.dedup.eachEntry(func(_ uint32, _ bool, _, payload []byte) bool {
			clear(payload[4:winnerSize])
			return true
		})
	}
	b := x.dedup.get(key)
	if b == nil {
		return false, nil
	}
	if binary.LittleEndian.Uint64(b[4:]) != 0 {
		return true, nil
	}
	var packed [12]byte
	var hdr [2 * binary.MaxVarintLen64]byte
	h, idLen := 0, 12
	isPacked := packID(&packed, id)
	if isPacked {
		h = binary.PutUvarint(hdr[:], 0)
	} else {
		idLen = len(id)
		h = binary.PutUvarint(hdr[:], uint64(idLen)+1)
	}
	h += binary.PutUvarint(hdr[h:], uint64(len(data)))
	off, e, err := x.att.arena.alloc(h + idLen + len(data))
	if err != nil {
		return false, err
	}
	n := copy(e, hdr[:h])
	if isPacked {
		n += copy(e[n:], packed[:])
	} else {
		n += copy(e[n:], id)
	}
	copy(e[n:], data)
	binary.LittleEndian.PutUint64(b[4:], uint64(off)+1)
	x.att.n++
	return true, nil
}

// Attached returns what [Index.Attach] kept with key: the id (unpacked) and the data, valid
// until the next call; ok is false when nothing was attached to key.
func (x *Index) Attached(key []byte) (id, data []byte, ok bool) {
	if x.att == nil {
		return nil, nil, false
	}
	b := x.dedup.get(key)
	if b == nil {
		return nil, nil, false
	}
	off := binary.LittleEndian.Uint64(b[4:])
	if off == 0 {
		return nil, nil, false
	}
	e := x.att.arena.entry(uint32(off - 1))
	// The value: uvarint 0 (a packed Id follows) or the id's length + 1, uvarint the data's
	// length, the id, the data.
	v, n := binary.Uvarint(e)
	l, m := binary.Uvarint(e[n:])
	e = e[n+m:]
	if v == 0 {
		id, e = unpackID(&x.att.idBuf, e[:12]), e[12:]
	} else {
		id, e = e[:v-1:v-1], e[v-1:]
	}
	return id, e[:l:l], true
}

// NumAttached returns the number of keys with something attached.
func (x *Index) NumAttached() int {
	if x.att == nil {
		return 0
	}
	return x.att.n
}
