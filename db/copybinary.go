package db

import (
	"encoding/binary"
	"fmt"
	"io"
	"time"
)

// binaryCopy appends rows in PostgreSQL's binary COPY format (the "Binary
// Format" section of the COPY page of PostgreSQL's manual). The import
// writes its cost rows with it rather than through pgx's CopyFrom, whose
// per-value encoding plans, boxing and big-integer numerics cost more CPU
// than the database spent storing the rows.
type binaryCopy struct{ buf []byte }

// binaryCopySignature opens every binary COPY stream: the signature, then
// a zero flags field and a zero header-extension length.
const binaryCopySignature = "PGCOPY\n\377\r\n\000\000\000\000\000\000\000\000\000"

// postgresEpoch is day 0 of PostgreSQL's binary dates.
var postgresEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).Unix()

func (b *binaryCopy) row(fields int) { b.buf = binary.BigEndian.AppendUint16(b.buf, uint16(fields)) }

func (b *binaryCopy) field(n int) { b.buf = binary.BigEndian.AppendUint32(b.buf, uint32(n)) }

func (b *binaryCopy) text(s string) {
	b.field(len(s))
	b.buf = append(b.buf, s...)
}

// uuid writes s, a UUID in its 36-character text form.
func (b *binaryCopy) uuid(s string) error {
	var id [16]byte
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return fmt.Errorf("%q is not a UUID", s)
	}
	for i, j := 0, 0; i < 16; i, j = i+1, j+2 {
		if j == 8 || j == 13 || j == 18 || j == 23 {
			j++
		}
		hi, ok1 := fromHex(s[j])
		lo, ok2 := fromHex(s[j+1])
		if !ok1 || !ok2 {
			return fmt.Errorf("%q is not a UUID", s)
		}
		id[i] = hi<<4 | lo
	}
	b.field(16)
	b.buf = append(b.buf, id[:]...)
	return nil
}

func fromHex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// date writes t's day: the days since 2000-01-01.
func (b *binaryCopy) date(t time.Time) {
	b.field(4)
	b.buf = binary.BigEndian.AppendUint32(b.buf, uint32(int32((t.Unix()-postgresEpoch)/86400)))
}

// numeric4 writes n ten-thousandths as a numeric of scale 4: base-10000
// digits, the first of weight w standing for 10000^w.
func (b *binaryCopy) numeric4(n int64) {
	var sign uint16
	u := uint64(n)
	if n < 0 {
		sign, u = 0x4000, uint64(-n)
	}
	var digits [5]uint16 // an int64 has at most 19 decimal digits
	i := len(digits)
	for v := u; v > 0; v /= 10000 {
		i--
		digits[i] = uint16(v % 10000)
	}
	d := digits[i:]
	weight := len(d) - 2 // the last digit is the fraction
	if len(d) == 0 {
		weight = 0
	}
	for len(d) > 0 && d[len(d)-1] == 0 {
		d = d[:len(d)-1]
	}
	b.field(8 + 2*len(d))
	b.buf = binary.BigEndian.AppendUint16(b.buf, uint16(len(d)))
	b.buf = binary.BigEndian.AppendUint16(b.buf, uint16(int16(weight)))
	b.buf = binary.BigEndian.AppendUint16(b.buf, sign)
	b.buf = binary.BigEndian.AppendUint16(b.buf, 4)
	for _, digit := range d {
		b.buf = binary.BigEndian.AppendUint16(b.buf, digit)
	}
}

// copyStream is a binary COPY as an io.Reader, for pgconn's CopyFrom: it
// asks next for rows as the connection reads, so rows are encoded while
// the database stores the ones before. next appends one row and reports
// whether it did.
type copyStream struct {
	enc  binaryCopy
	off  int
	next func(*binaryCopy) (bool, error)
	done bool
}

func newCopyStream(next func(*binaryCopy) (bool, error)) *copyStream {
	s := &copyStream{next: next}
	s.enc.buf = append(make([]byte, 0, 128<<10), binaryCopySignature...)
	return s
}

func (s *copyStream) Read(p []byte) (int, error) {
	// Keep the unread tail (less than a row) at the front.
	s.enc.buf = s.enc.buf[:copy(s.enc.buf, s.enc.buf[s.off:])]
	s.off = 0
	for !s.done && len(s.enc.buf) < len(p) {
		more, err := s.next(&s.enc)
		if err != nil {
			return 0, err
		}
		if !more {
			s.enc.buf = binary.BigEndian.AppendUint16(s.enc.buf, 0xffff) // the trailer
			s.done = true
		}
	}
	n := copy(p, s.enc.buf)
	s.off = n
	if s.done && n == len(s.enc.buf) {
		return n, io.EOF
	}
	return n, nil
}
