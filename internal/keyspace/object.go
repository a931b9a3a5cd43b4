package keyspace

import (
	"bytes"

	"github.com/respd/respd/internal/resp"
)

// Type is a value's data type, as TYPE reports it.
type Type uint8

// The data types.
const (
	TypeString Type = iota
	TypeList
	TypeSet
	TypeZSet
	TypeHash
	TypeStream
)

var typeNames = [...]string{"string", "list", "set", "zset", "hash", "stream"}

// String returns the name TYPE replies with.
func (t Type) String() string { return typeNames[t] }

// Encoding is the internal representation OBJECT ENCODING reports.
type Encoding uint8

// The encodings strings can have; other types add theirs as they land.
const (
	EncRaw Encoding = iota
	EncInt
	EncEmbstr
	EncListpack
	EncQuicklist
	EncHashtable
	EncIntset
	EncSkiplist
	EncStream
)

var encNames = [...]string{"raw", "int", "embstr", "listpack", "quicklist", "hashtable", "intset", "skiplist", "stream"}

// String returns the name OBJECT ENCODING replies with.
func (e Encoding) String() string { return encNames[e] }

// Object is one value in a database.
type Object struct {
	Type Type
	Enc  Encoding
	// Unshared marks an integer string that Redis would keep in a private
	// object instead of its shared small-integer one: COPY duplicates the
	// object. OBJECT REFCOUNT reports 1 for it until the value is
	// rewritten (SetString, or an in-place change signalled by Touch).
	Unshared bool
	// Str is the value of a string; the keyspace owns these bytes.
	Str []byte
	// Val is the value of any other type.
	Val any
	// Access is the last access time in ms (OBJECT IDLETIME, LRU), or
	// under an LFU policy the access counter and its minutes clock: see
	// access.go.
	Access int64
}

// embstrMax is the longest string Redis stores as embstr.
const embstrMax = 44

// StringEncoding returns the encoding Redis chooses for a freshly set
// string value.
func StringEncoding(v []byte) Encoding {
	if len(v) <= 20 {
		if _, ok := resp.ParseInt(v); ok {
			return EncInt
		}
	}
	if len(v) <= embstrMax {
		return EncEmbstr
	}
	return EncRaw
}

// Cloner is implemented by the values of non-string types, so COPY can
// duplicate them without knowing their layout. Clone must return a deep
// copy that shares no mutable state with the original.
type Cloner interface {
	Clone() any
}

// Copy returns a deep copy of o (COPY's semantics: the two keys then
// change independently). A Val that is not a Cloner is a programming
// error, and panics rather than be shared silently.
func (o *Object) Copy() *Object {
	// The copy is a new value: storing it stamps its access field afresh
	// (a new access time, or the initial LFU counter).
	c := &Object{Type: o.Type, Enc: o.Enc, Str: bytes.Clone(o.Str)}
	c.Unshared = o.Type == TypeString && o.Enc == EncInt
	if o.Val != nil {
		cl, ok := o.Val.(Cloner)
		if !ok {
			panic("keyspace: value of type " + o.Type.String() + " cannot be copied: it does not implement Cloner")
		}
		c.Val = cl.Clone()
	}
	return c
}
