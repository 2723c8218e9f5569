package codec

// Index holds the members of the objects of a request that the router and
// the transports read on every call — params, params._meta and
// params.arguments — as the Decoder recorded them while it validated the
// message. Reading a member through the Index needs no second walk over the
// JSON (a tools/call was walked three to five times after decoding: the
// router's pass over params, its pass over _meta, the HTTP transport's
// header checks).
//
// Each and Field answer exactly what ObjectEach and ObjectField answer for
// the same object; they use the records only for the very bytes recorded
// (the object of the message the Decoder decoded last, recognised by its
// address and length), and walk any other object. A nil *Index walks.
type Index struct {
	data []byte
	objs [numRecorded]recorded
}

// What the scanner records: objects by their place in the message.
type recMode uint8

const (
	recNone   recMode = iota
	recTop            // the message itself: its envelope members
	recParams         // params
	recMeta           // params._meta
	recArgs           // params.arguments
	numRecModes
)

// numRecorded is how many objects an Index holds: params, _meta, arguments.
const numRecorded = numRecModes - recParams

// maxRecordedMembers bounds the members recorded per object; an object with
// more is walked. tools/call params have at most six members the protocol
// defines, _meta a handful.
const maxRecordedMembers = 12

// recorded is one object of the message: its span in data and its members.
type recorded struct {
	start, end int32 // the object's span in data; end == 0: none recorded
	n          int8  // members recorded; -1: more than maxRecordedMembers
	escaped    uint16
	members    [maxRecordedMembers]memberSpan
}

// memberSpan locates one member in data: its key token (quotes included)
// and its value.
type memberSpan struct{ k0, k1, v0, v1 int32 }

// reset forgets what was recorded, for a message in data.
func (x *Index) reset(data []byte) {
	x.data = data
	for i := range x.objs {
		x.objs[i].end = 0
	}
}

// begin starts recording object mode at data[start].
func (x *Index) begin(mode recMode, start int) {
	o := &x.objs[mode-recParams]
	o.start, o.end, o.n, o.escaped = int32(start), 0, 0, 0
}

// add records a member of object mode: the key token data[k0:k1] (escaped:
// it holds a backslash) and the value data[v0:v1].
func (x *Index) add(mode recMode, k0, k1, v0, v1 int, escaped bool) {
	o := &x.objs[mode-recParams]
	switch {
	case o.n < 0:
	case int(o.n) == maxRecordedMembers:
		o.n = -1
	default:
		o.members[o.n] = memberSpan{int32(k0), int32(k1), int32(v0), int32(v1)}
		if escaped {
			o.escaped |= 1 << o.n
		}
		o.n++
	}
}

// end ends the object mode at data[end-1] ('}').
func (x *Index) end(mode recMode, end int) { x.objs[mode-recParams].end = int32(end) }

// lookup returns the record of obj, if obj is exactly a recorded object of
// the message last decoded.
func (x *Index) lookup(obj []byte) *recorded {
	if x == nil || len(obj) == 0 {
		return nil
	}
	for i := range x.objs {
		o := &x.objs[i]
		if o.end > 0 && o.n >= 0 && int(o.end-o.start) == len(obj) && &x.data[o.start] == &obj[0] {
			return o
		}
	}
	return nil
}

// Each calls fn for each member of the JSON object obj, in order, until fn
// returns false, exactly as ObjectEach does (key without its quotes, or the
// raw token with them when it has escapes).
func (x *Index) Each(obj []byte, fn func(key, val []byte) bool) {
	o := x.lookup(obj)
	if o == nil {
		ObjectEach(obj, fn)
		return
	}
	d := x.data
	for i := range int(o.n) {
		m := &o.members[i]
		key := recordedSpan(d, m.k0+1, m.k1-1)
		if o.escaped&(1<<i) != 0 {
			key = recordedSpan(d, m.k0, m.k1)
		}
		if !fn(key, recordedSpan(d, m.v0, m.v1)) {
			return
		}
	}
}

// Field returns the raw value of member key of obj, as ObjectField does.
func (x *Index) Field(obj []byte, key string) (val []byte, ok bool) {
	o := x.lookup(obj)
	if o == nil {
		return ObjectField(obj, key)
	}
	d := x.data
	for i := range int(o.n) {
		m := &o.members[i]
		if o.escaped&(1<<i) == 0 {
			// A plain key is its token's contents: compare the length
			// first, and only a key that could match is sliced.
			if int(m.k1-m.k0-2) == len(key) && string(recordedSpan(d, m.k0+1, m.k1-1)) == key {
				return recordedSpan(d, m.v0, m.v1), true
			}
		} else if keyEquals(d[m.k0:m.k1], key) {
			return recordedSpan(d, m.v0, m.v1), true
		}
	}
	return nil, false
}

// Index returns the members the Decoder recorded for m (nil when m was not
// decoded by a Decoder, or is a response). Like m's slices it is valid until
// the Decoder decodes again.
func (m *Message) Index() *Index { return m.idx }
