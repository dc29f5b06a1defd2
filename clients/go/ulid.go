package herald

import (
	crand "crypto/rand"
	"encoding/binary"
	"math/rand"
	"time"
)

// crockford is the ULID alphabet (Crockford's base32: no I, L, O, U).
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// ulidMaker makes ULIDs (48 bits of milliseconds, 80 random bits) that increase strictly, even
// within one millisecond: there the random part is incremented (the monotonic ULID rule), and a
// clock that goes backwards keeps the last millisecond. The same text as the Python client's.
// Not safe for concurrent use: the emitter calls it under its lock, so ids increase in queue order.
type ulidMaker struct {
	ms     uint64
	hi     uint64 // the random part's top 16 bits
	lo     uint64 // its low 64 bits
	prefix [10]byte
	rng    *rand.Rand
}

func newULIDMaker() *ulidMaker {
	var seed [8]byte
	if _, err := crand.Read(seed[:]); err != nil {
		// No system randomness: the time still makes ids of different processes unlikely to meet.
		binary.LittleEndian.PutUint64(seed[:], uint64(time.Now().UnixNano()))
	}
	return &ulidMaker{rng: rand.New(rand.NewSource(int64(binary.LittleEndian.Uint64(seed[:]))))}
}

func (m *ulidMaker) make(now time.Time) string {
	ms := uint64(now.UnixMilli())
	if ms > m.ms || m.prefix[0] == 0 {
		m.ms = ms
		// 79 random bits, leaving room to increment within the millisecond.
		m.hi = uint64(m.rng.Int63()) & 0x7fff
		m.lo = m.rng.Uint64()
		m.encodePrefix()
	} else {
		m.lo++
		if m.lo == 0 {
			m.hi++
			if m.hi > 0xffff { // 2^80 ids in one millisecond: move on to the next one
				m.ms++
				m.hi, m.lo = 0, 0
				m.encodePrefix()
			}
		}
	}
	var text [26]byte
	copy(text[:10], m.prefix[:])
	// The 80 random bits as 16 characters of 5 bits, most significant first.
	for i := 0; i < 16; i++ {
		shift := uint(75 - 5*i)
		var v uint64
		switch {
		case shift >= 64:
			v = m.hi >> (shift - 64)
		case shift > 59:
			v = m.hi<<(64-shift) | m.lo>>shift
		default:
			v = m.lo >> shift
		}
		text[10+i] = crockford[v&31]
	}
	return string(text[:])
}

// encodePrefix writes the 48-bit time as 10 characters (the first carries 3 bits).
func (m *ulidMaker) encodePrefix() {
	for i := 0; i < 10; i++ {
		m.prefix[i] = crockford[(m.ms>>uint(45-5*i))&31]
	}
}
