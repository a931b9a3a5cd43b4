// Package slot maps keys to Redis Cluster hash slots.
//
// A key's slot is CRC16 (the XMODEM variant: polynomial 0x1021, initial
// value 0, no reflection, no final xor) of the key modulo 16384. When the
// key holds a hash tag, a '{' followed later by a '}' with at least one
// byte between them, only the bytes between the first '{' and the first
// '}' after it are hashed, so that related keys can be kept in one slot.
package slot

// Count is the number of hash slots in a cluster.
const Count = 16384

var table = func() (t [256]uint16) {
	for i := range t {
		c := uint16(i) << 8
		for range 8 {
			if c&0x8000 != 0 {
				c = c<<1 ^ 0x1021
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return t
}()

// CRC16 is the checksum Redis Cluster hashes keys with.
func CRC16(b []byte) uint16 {
	var c uint16
	for _, x := range b {
		c = c<<8 ^ table[byte(c>>8)^x]
	}
	return c
}

// Of returns the hash slot of key.
func Of(key []byte) int {
	return int(CRC16(Tag(key)) & (Count - 1))
}

// Tag returns the part of key that is hashed: the hash tag when the key
// has a non-empty one, else the whole key.
func Tag(key []byte) []byte {
	for i, c := range key {
		if c != '{' {
			continue
		}
		for j := i + 1; j < len(key); j++ {
			if key[j] == '}' {
				if j == i+1 {
					return key
				}
				return key[i+1 : j]
			}
		}
		return key
	}
	return key
}
