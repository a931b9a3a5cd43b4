package hll

import (
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"strconv"
)

// SelfTest checks the implementation on this machine, for PFSELFTEST:
// dense registers read back what was written, a sparse and a dense value
// fed the same elements keep identical registers and counts through the
// sparse to dense change, and estimates stay within five standard errors
// of the true cardinality. The error names the first failure.
func SelfTest() error {
	rng := rand.New(rand.NewPCG(1, 2))

	// Register packing: every register keeps its own 6 bits.
	regs := make([]byte, DenseSize-HeaderSize)
	var want [Registers]uint8
	for round := 0; round < 100; round++ {
		for i := range want {
			want[i] = uint8(rng.IntN(regMax + 1))
			densePut(regs, i, want[i])
		}
		for i := range want {
			if got := denseGet(regs, i); got != want[i] {
				return errors.New("TESTFAILED Register error at " + strconv.Itoa(i))
			}
		}
	}

	// Sparse and dense agree, and the estimate is accurate.
	sparse, dense := New(), New()
	dense, _ = ToDense(dense)
	relErr := 1.04 / math.Sqrt(Registers)
	var ele [8]byte
	var err error
	const total = 200000
	for n := 1; n <= total; n++ {
		binary.LittleEndian.PutUint64(ele[:], uint64(n))
		var c1, c2 bool
		if sparse, c1, err = Add(sparse, ele[:], 3000); err != nil {
			return errors.New("TESTFAILED sparse add failed at " + strconv.Itoa(n))
		}
		dense, c2, _ = Add(dense, ele[:], 3000)
		if c1 != c2 {
			return errors.New("TESTFAILED sparse and dense disagree on a change at " + strconv.Itoa(n))
		}
		if n%1000 != 0 && n > 5000 {
			continue
		}
		cs, err := Count(sparse)
		if err != nil {
			return errors.New("TESTFAILED sparse value corrupted at " + strconv.Itoa(n))
		}
		cd, _ := Count(dense)
		if cs != cd {
			return errors.New("TESTFAILED sparse count " + strconv.FormatUint(cs, 10) + " != dense count " + strconv.FormatUint(cd, 10))
		}
		limit := math.Max(1, 5*relErr*float64(n))
		if math.Abs(float64(cd)-float64(n)) > limit {
			return errors.New("TESTFAILED too big error. card:" + strconv.FormatUint(cd, 10) + " real:" + strconv.Itoa(n))
		}
	}
	sd, err := ToDense(sparse)
	if err != nil {
		return errors.New("TESTFAILED cannot convert to dense")
	}
	for i := 0; i < Registers; i++ {
		if Register(sd, i) != Register(dense, i) {
			return errors.New("TESTFAILED registers differ at " + strconv.Itoa(i))
		}
	}
	return nil
}
