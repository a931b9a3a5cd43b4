package resp

import (
	"math"
	"testing"
)

// TestDoubleFormat pins the "%.17g" texts Redis 7.0 replies with (taken
// from redis-server 7.0.15 ZSCORE and ZRANGE WITHSCORES replies).
func TestDoubleFormat(t *testing.T) {
	cases := []struct {
		f    float64
		want string
	}{
		{1.1, "1.1000000000000001"},
		{0.1, "0.10000000000000001"},
		{1.5, "1.5"},
		{3, "3"},
		{0, "0"},
		{math.Copysign(0, -1), "-0"},
		{1e17, "1e+17"},
		{1e16, "10000000000000000"},
		{12345678901234567, "12345678901234568"},
		{123456789012345678, "1.2345678901234568e+17"},
		{1e-5, "1.0000000000000001e-05"},
		{1e-300, "1e-300"},
		{1e300, "1.0000000000000001e+300"},
		{4611686018427387904, "4.6116860184273879e+18"},
		{math.Inf(1), "inf"},
		{math.Inf(-1), "-inf"},
	}
	for _, tc := range cases {
		if got := string(AppendFloat(nil, tc.f)); got != tc.want {
			t.Errorf("AppendFloat(%v) = %q, want %q", tc.f, got, tc.want)
		}
	}
	w := Writer{Proto: 2}
	w.Double(1.1)
	if string(w.B) != "$18\r\n1.1000000000000001\r\n" {
		t.Errorf("RESP2 Double = %q", w.B)
	}
	w = Writer{Proto: 3}
	w.Double(math.Inf(-1))
	if string(w.B) != ",-inf\r\n" {
		t.Errorf("RESP3 Double = %q", w.B)
	}
}
