package rdb

// The RDB checksum and the DUMP payload footer use the CRC-64 variant
// with the Jones polynomial 0xad93d23594c935a9, reflected input and
// output, zero initial value and no final xor. The standard library's
// hash/crc64 inverts the register before and after each update (and
// rebuilds an 8-way table on every large call for custom polynomials),
// so the table-driven form is kept here instead.

// crc64JonesReflected is the Jones polynomial with its bits reversed, the
// form a right-shifting (reflected) implementation divides by.
const crc64JonesReflected = 0x95ac9329ac4bc9b5

// crc64Tables holds the slicing-by-8 tables: crc64Tables[0] is the plain
// byte table; crc64Tables[k][b] is the register after feeding byte b
// followed by k zero bytes, so eight input bytes fold in one step.
var crc64Tables = func() *[8][256]uint64 {
	t := new([8][256]uint64)
	for i := range 256 {
		crc := uint64(i)
		for range 8 {
			if crc&1 != 0 {
				crc = crc>>1 ^ crc64JonesReflected
			} else {
				crc >>= 1
			}
		}
		t[0][i] = crc
	}
	for i := range 256 {
		crc := t[0][i]
		for k := 1; k < 8; k++ {
			crc = t[0][byte(crc)] ^ crc>>8
			t[k][i] = crc
		}
	}
	return t
}()

// crc64Update extends a Redis CRC-64 over b. Start from 0; feeding a
// stream in pieces gives the same result as feeding it whole, which is how
// the loader checksums a file while reading it.
func crc64Update(crc uint64, b []byte) uint64 {
	t := crc64Tables
	for len(b) >= 8 {
		crc ^= uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
			uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
		crc = t[7][byte(crc)] ^ t[6][byte(crc>>8)] ^ t[5][byte(crc>>16)] ^ t[4][byte(crc>>24)] ^
			t[3][byte(crc>>32)] ^ t[2][byte(crc>>40)] ^ t[1][byte(crc>>48)] ^ t[0][byte(crc>>56)]
		b = b[8:]
	}
	for _, c := range b {
		crc = t[0][byte(crc)^c] ^ crc>>8
	}
	return crc
}
