package codec

import (
	"strings"
	"testing"
)

// The Decoder records params, params._meta and params.arguments of a
// request, so reading them walks nothing; an object with more members than
// are recorded, a copy, and a message decoded since are walked instead.
func TestIndexRecords(t *testing.T) {
	line := []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"},` +
		`"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","pro\u0067ressToken":7}}}`)
	var d Decoder
	var m Message
	if err := d.Decode(line, &m); err != nil {
		t.Fatal(err)
	}
	x := m.Index()
	meta, _ := ObjectField(m.Params, "_meta")
	args, _ := ObjectField(m.Params, "arguments")
	for name, obj := range map[string][]byte{"params": m.Params, "_meta": meta, "arguments": args} {
		if x.lookup(obj) == nil {
			t.Errorf("%s (%s) not recorded", name, obj)
		}
	}
	if v, ok := x.Field(m.Params, "name"); !ok || string(v) != `"echo"` {
		t.Errorf("Field(params, name) = %s, %v", v, ok)
	}
	if v, ok := x.Field(meta, "progressToken"); !ok || string(v) != `7` {
		t.Errorf("Field(_meta, progressToken) = %s, %v (escaped key)", v, ok)
	}
	if x.lookup([]byte(string(m.Params))) != nil {
		t.Error("a copy of params counts as recorded")
	}
	var members []string
	for i := range maxRecordedMembers + 1 {
		members = append(members, `"k`+string(rune('a'+i))+`":1`)
	}
	big := []byte(`{"jsonrpc":"2.0","id":2,"method":"m","params":{` + strings.Join(members, ",") + `}}`)
	if err := d.Decode(big, &m); err != nil {
		t.Fatal(err)
	}
	if m.Index().lookup(m.Params) != nil {
		t.Errorf("params with %d members recorded, want walked", maxRecordedMembers+1)
	}
	n := 0
	m.Index().Each(m.Params, func(_, _ []byte) bool { n++; return true })
	if n != maxRecordedMembers+1 {
		t.Errorf("Each over %d members (walked) saw %d", maxRecordedMembers+1, n)
	}
	var nilIndex *Index
	if v, ok := nilIndex.Field(args, "text"); !ok || string(v) != `"hi"` {
		t.Errorf("nil Index Field = %s, %v", v, ok)
	}
}
