package router

import (
	"bytes"

	"github.com/densemcp/densemcp/codec"
)

// Reserved _meta keys of the modern era.
const (
	metaProtocolVersion    = "io.modelcontextprotocol/protocolVersion"
	metaClientCapabilities = "io.modelcontextprotocol/clientCapabilities"
)

// initialize answers the legacy handshake with version negotiation.
func (r *Router) initialize(s *Session, m *codec.Message) {
	if s.initAnswer {
		s.replyError(m.ID, codec.CodeInvalidRequest, "initialize was already called on this session", nil)
		return
	}
	if !codec.IsObject(m.Params) {
		s.replyError(m.ID, codec.CodeInvalidParams, "initialize needs params with protocolVersion, capabilities and clientInfo", nil)
		return
	}
	pv, ok := codec.ObjectField(m.Params, "protocolVersion")
	if !ok || !codec.IsString(pv) {
		s.replyError(m.ID, codec.CodeInvalidParams, "initialize: protocolVersion must be a string", nil)
		return
	}
	var vb [32]byte
	requested, err := codec.Unquote(vb[:0], pv)
	if err != nil {
		s.replyError(m.ID, codec.CodeInvalidParams, "initialize: bad protocolVersion", nil)
		return
	}
	if caps, ok := codec.ObjectField(m.Params, "capabilities"); ok && codec.IsObject(caps) {
		s.clientCaps = append(s.clientCaps[:0], caps...)
	}
	if info, ok := codec.ObjectField(m.Params, "clientInfo"); ok && codec.IsObject(info) {
		s.clientInfo = append(s.clientInfo[:0], info...)
	}
	s.version = negotiateLegacy(requested)
	s.initAnswer = true

	buf := s.beginResult(m.ID)
	buf = append(buf, `{"protocolVersion":"`...)
	buf = append(buf, s.version...)
	buf = append(buf, `","capabilities":`...)
	buf = r.appendCapabilities(buf, r.catalogOf(s.shard), s.era, s.version)
	buf = append(buf, `,"serverInfo":`...)
	buf = append(buf, r.infoJSON...)
	if r.opts.Instructions != "" {
		buf = append(buf, `,"instructions":`...)
		buf = codec.AppendString(buf, r.opts.Instructions)
	}
	buf = append(buf, '}')
	s.endResult(m.ID, buf)
	s.stateChanged()
}

// appendCapabilities writes the server capabilities object of an era.
func (r *Router) appendCapabilities(dst []byte, cat *catalog, era Era, version string) []byte {
	dst = append(dst, `{"tools":{"listChanged":true},"resources":{"subscribe":true,"listChanged":true},"prompts":{"listChanged":true},"logging":{},"completions":{}`...)
	dst = r.appendExtraCapabilities(dst, cat, era, version)
	return append(dst, '}')
}

// discover answers server/discover (modern era).
func (r *Router) discover(q *request) {
	buf := q.s.beginResult(q.id)
	buf = append(buf, `{"supportedVersions":`...)
	buf = append(buf, supportedModernJSON...)
	buf = append(buf, `,"capabilities":`...)
	buf = r.appendCapabilities(buf, r.catalogOf(q.s.shard), EraModern, "")
	if r.opts.Instructions != "" {
		buf = append(buf, `,"instructions":`...)
		buf = codec.AppendString(buf, r.opts.Instructions)
	}
	buf = r.appendEraFields(buf, q.s.era, true)
	buf = append(buf, '}')
	q.s.endResult(q.id, buf)
}

// modernVersionOf returns params._meta's protocol version token when present.
func modernVersionOf(params []byte) ([]byte, bool) {
	meta, ok := codec.ObjectField(params, "_meta")
	if !ok || !codec.IsObject(meta) {
		return nil, false
	}
	v, ok := codec.ObjectField(meta, metaProtocolVersion)
	if !ok || !codec.IsString(v) {
		return nil, false
	}
	return v, true
}

// checkModernMeta enforces the per-request fields of the modern era: a
// supported protocol version and declared client capabilities. It answers
// the error itself and reports whether the request may proceed.
func (r *Router) checkModernMeta(q *request) bool {
	meta, ok := q.idx.Field(q.params, "_meta")
	if !ok || !codec.IsObject(meta) {
		q.s.replyError(q.id, codec.CodeInvalidParams, "missing _meta with "+metaProtocolVersion+" and "+metaClientCapabilities, nil)
		return false
	}
	q.meta, q.metaKnown = meta, true
	q.scanMeta()
	v, caps := q.protoVer, q.clientCaps
	if !codec.IsString(v) {
		q.s.replyError(q.id, codec.CodeInvalidParams, "missing _meta "+metaProtocolVersion, nil)
		return false
	}
	// The decoder validated the token: without a backslash its contents
	// are the version, and Unquote's copy is needed only for escapes.
	ver, err := v[1:len(v)-1], error(nil)
	if bytes.IndexByte(ver, '\\') >= 0 {
		var vb [64]byte
		ver, err = codec.Unquote(vb[:0], v)
	}
	if err != nil || !isModernVersion(ver) {
		data := make([]byte, 0, 96)
		data = append(data, `{"supported":`...)
		data = append(data, supportedModernJSON...)
		data = append(data, `,"requested":`...)
		data = append(data, v...)
		data = append(data, '}')
		q.s.replyError(q.id, codec.CodeUnsupportedProtocolVersion, "Unsupported protocol version", data)
		return false
	}
	if !codec.IsObject(caps) {
		q.s.replyError(q.id, codec.CodeInvalidParams, "missing _meta "+metaClientCapabilities, nil)
		return false
	}
	return true
}

// clientCapsOf returns the client capabilities in force for a request:
// per request (_meta) in the modern era, from initialize in the legacy era.
func clientCapsOf(s *Session, meta []byte) []byte {
	if s.era == EraModern {
		caps, _ := codec.ObjectField(meta, metaClientCapabilities)
		return caps
	}
	return s.clientCaps
}

// declared reports whether caps declares capability name (and, if sub is
// not empty, its sub-capability, e.g. sampling.tools).
func declared(caps []byte, name, sub string) bool {
	v, ok := codec.ObjectField(caps, name)
	if ok && sub != "" {
		v, ok = codec.ObjectField(v, sub)
	}
	return ok && !codec.IsNull(v)
}

// clientCapability reports whether the client declared capability name.
func (q *request) clientCapability(name string) bool {
	return declared(clientCapsOf(q.s, q.meta), name, "")
}

// requireCapability answers -32021 when the client lacks capability name.
func (q *request) requireCapability(name string) bool {
	if q.clientCapability(name) {
		return true
	}
	if q.s.era != EraModern {
		q.s.replyError(q.id, codec.CodeInvalidRequest, "the client did not declare the "+name+" capability", nil)
		return false
	}
	data := []byte(`{"requiredCapabilities":{"` + name + `":{}}}`)
	q.s.replyError(q.id, codec.CodeMissingClientCapability, "Server requires the "+name+" capability for this request", data)
	return false
}
