package tests

import (
	"fmt"
	"math"

	"github.com/anishathalye/porcupine"
)

// A porcupine model of a Redis string key used as an integer register:
// GET reads it, SET overwrites it, INCR adds one and returns the sum. Keys
// are independent, so the history is partitioned by key, which keeps each
// search small.

// Operation kinds of regInput.
const (
	opGet = iota
	opSet
	opIncr
)

// regInput is one command on one key.
type regInput struct {
	op  int
	key string
	val int64 // SET's value
}

// regOutput is what the command returned. unknown marks a call whose
// reply never came (the server died or the connection broke): it may or
// may not have taken effect, so any reply is accepted; such operations
// get an infinite return time, letting the checker place them anywhere
// after their call, including after everything else (= never applied).
type regOutput struct {
	val     int64
	exists  bool // GET: the key existed
	unknown bool
}

// regState is the key's value; a comparable struct so porcupine's default
// equality works.
type regState struct {
	val    int64
	exists bool
}

// unknownReturn is the return time of an operation without a reply.
const unknownReturn = math.MaxInt64

var registerModel = porcupine.Model{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		var order []string
		for _, op := range history {
			k := op.Input.(regInput).key
			if _, ok := byKey[k]; !ok {
				order = append(order, k)
			}
			byKey[k] = append(byKey[k], op)
		}
		out := make([][]porcupine.Operation, 0, len(order))
		for _, k := range order {
			out = append(out, byKey[k])
		}
		return out
	},
	Init: func() interface{} { return regState{} },
	Step: func(state, input, output interface{}) (bool, interface{}) {
		st, in, out := state.(regState), input.(regInput), output.(regOutput)
		switch in.op {
		case opGet:
			return out.unknown || (out.exists == st.exists && (!st.exists || out.val == st.val)), st
		case opSet:
			return true, regState{val: in.val, exists: true}
		default: // opIncr
			next := regState{val: st.val + 1, exists: true}
			return out.unknown || out.val == next.val, next
		}
	},
	DescribeOperation: func(input, output interface{}) string {
		in, out := input.(regInput), output.(regOutput)
		res := fmt.Sprint(out.val)
		switch {
		case out.unknown:
			res = "?"
		case in.op == opGet && !out.exists:
			res = "nil"
		}
		switch in.op {
		case opGet:
			return fmt.Sprintf("GET %s -> %s", in.key, res)
		case opSet:
			return fmt.Sprintf("SET %s %d -> %s", in.key, in.val, map[bool]string{true: "?", false: "OK"}[out.unknown])
		default:
			return fmt.Sprintf("INCR %s -> %s", in.key, res)
		}
	},
	DescribeState: func(state interface{}) string {
		st := state.(regState)
		if !st.exists {
			return "nil"
		}
		return fmt.Sprint(st.val)
	},
}
