package router

import (
	"context"
	"encoding/json"
	"time"

	"github.com/densemcp/densemcp/codec"
)

// DefaultClientRequestTimeout bounds how long a handler waits for the
// client to answer elicitation, sampling or roots (legacy era).
const DefaultClientRequestTimeout = 2 * time.Minute

// ElicitParams are the params of elicitation/create.
type ElicitParams struct {
	// Mode is "form" (default) or "url".
	Mode            string         `json:"mode,omitempty"`
	Message         string         `json:"message"`
	RequestedSchema any            `json:"requestedSchema,omitempty"`
	URL             string         `json:"url,omitempty"`
	ElicitationID   string         `json:"elicitationId,omitempty"`
	Meta            map[string]any `json:"_meta,omitempty"`
}

// ElicitResult is the client's answer to an elicitation.
type ElicitResult struct {
	// Action is "accept", "decline" or "cancel".
	Action  string         `json:"action"`
	Content map[string]any `json:"content,omitempty"`
}

// SamplingMessage is one message of a sampling request.
type SamplingMessage struct {
	Role    string `json:"role"`
	Content any    `json:"content"` // Content, or []Content (tool use/results)
}

// CreateMessageParams are the params of sampling/createMessage.
type CreateMessageParams struct {
	Messages         []SamplingMessage `json:"messages"`
	ModelPreferences any               `json:"modelPreferences,omitempty"`
	SystemPrompt     string            `json:"systemPrompt,omitempty"`
	IncludeContext   string            `json:"includeContext,omitempty"`
	Temperature      *float64          `json:"temperature,omitempty"`
	MaxTokens        int               `json:"maxTokens"`
	StopSequences    []string          `json:"stopSequences,omitempty"`
	Metadata         any               `json:"metadata,omitempty"`
	// Tools and ToolChoice let the model call tools (SEP-1577); the client
	// must declare sampling.tools.
	Tools      any `json:"tools,omitempty"`
	ToolChoice any `json:"toolChoice,omitempty"`
}

// CreateMessageResult is the client's sampling answer.
type CreateMessageResult struct {
	Role       string          `json:"role"`
	Content    json.RawMessage `json:"content"`
	Model      string          `json:"model"`
	StopReason string          `json:"stopReason,omitempty"`
}

// Root is a root the client exposes.
type Root struct {
	URI  string `json:"uri"`
	Name string `json:"name,omitempty"`
}

// ListRootsResult is the client's roots/list answer.
type ListRootsResult struct {
	Roots []Root `json:"roots"`
}

// CapabilityError reports that the client did not declare a capability a
// call needs. Returned from a handler it becomes -32021 in the modern era.
type CapabilityError struct{ Capability string }

// MissingCapability implements MissingCapabilityError.
func (e *CapabilityError) MissingCapability() string { return e.Capability }

func (e *CapabilityError) Error() string {
	return "the client did not declare the " + e.Capability + " capability"
}

// ClientError is a JSON-RPC error the client answered with.
type ClientError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *ClientError) Error() string { return "client error: " + e.Message }

type clientAnswer struct {
	result []byte
	errObj []byte
	err    error
}

// The kinds of input a handler may ask for, and the key prefix of each in
// a modern input_required result.
const (
	inputElicit = iota
	inputSample
	inputRoots
)

var inputPrefix = [...]string{"elicitation", "sampling", "roots"}

type inputRequest struct {
	key    string
	method string
	params []byte
}

// Elicit asks the user for input through the client (elicitation/create).
// In the modern era its input request gets an automatic key; use ElicitAs
// to name it.
func (q *Request) Elicit(p *ElicitParams) (*ElicitResult, error) { return q.ElicitAs("", p) }

// ElicitAs is Elicit with the modern era's inputRequests key chosen by the
// caller (ignored in the legacy era).
func (q *Request) ElicitAs(key string, p *ElicitParams) (*ElicitResult, error) {
	var res ElicitResult
	if err := q.ask(key, inputElicit, "elicitation/create", "elicitation", p, &res); err != nil {
		return nil, err
	}
	if res.Action == "" {
		return nil, errBadClientAnswer
	}
	return &res, nil
}

// Sample asks the client's model for a completion (sampling/createMessage).
// Params with Tools need the client's sampling.tools capability.
func (q *Request) Sample(p *CreateMessageParams) (*CreateMessageResult, error) {
	return q.SampleAs("", p)
}

// SampleAs is Sample with a chosen inputRequests key.
func (q *Request) SampleAs(key string, p *CreateMessageParams) (*CreateMessageResult, error) {
	if p.Tools != nil || p.ToolChoice != nil {
		if !q.hasSubCapability("sampling", "tools") {
			return nil, &CapabilityError{Capability: "sampling"}
		}
	}
	var res CreateMessageResult
	if err := q.ask(key, inputSample, "sampling/createMessage", "sampling", p, &res); err != nil {
		return nil, err
	}
	if res.Role == "" || len(res.Content) == 0 {
		return nil, errBadClientAnswer
	}
	return &res, nil
}

// ListRoots asks the client for its roots (roots/list).
func (q *Request) ListRoots() (*ListRootsResult, error) { return q.ListRootsAs("") }

// ListRootsAs is ListRoots with a chosen inputRequests key.
func (q *Request) ListRootsAs(key string) (*ListRootsResult, error) {
	var res ListRootsResult
	if err := q.ask(key, inputRoots, "roots/list", "roots", struct{}{}, &res); err != nil {
		return nil, err
	}
	if res.Roots == nil {
		return nil, errBadClientAnswer
	}
	return &res, nil
}

// ClientCapability reports whether the client declared capability name
// (per request in the modern era, at initialize in the legacy era).
func (q *Request) ClientCapability(name string) bool { return q.hasCapability(name) }

var errBadClientAnswer = &RPCError{Code: codec.CodeInvalidParams, Message: "the client's answer to an input request is malformed"}

// ask performs one client request of kind in either era and decodes the
// answer into out.
func (q *Request) ask(key string, kind int, method, capability string, params, out any) error {
	if q.session.era == EraModern {
		return q.askModern(key, kind, method, capability, params, out)
	}
	if q.task != nil && !q.onLoop {
		return q.askInTask(method, capability, params, out)
	}
	if !q.hasCapability(capability) {
		return &CapabilityError{Capability: capability}
	}
	if q.onLoop {
		return ErrWouldBlock
	}
	body, err := codec.AppendJSON(nil, params)
	if err != nil {
		return err
	}
	raw, err := q.session.request(q, method, body)
	if err != nil {
		return err
	}
	return codec.Unmarshal(raw, out)
}

// hasSubCapability reports whether capability name declares sub (e.g.
// sampling.tools).
func (q *Request) hasSubCapability(name, sub string) bool {
	return declared(clientCapsOf(q.session, q.meta), name, sub)
}

func (q *Request) hasCapability(name string) bool {
	return declared(clientCapsOf(q.session, q.meta), name, "")
}

// askModern looks the answer up in the retried request; when absent it
// records an input request and returns ErrInputRequired.
func (q *Request) askModern(key string, kind int, method, capability string, params, out any) error {
	if key == "" {
		q.inputSeq[kind]++
		key = inputPrefix[kind] + "-" + itoa(q.inputSeq[kind])
	}
	if v, ok := codec.ObjectField(q.responses, key); ok {
		if err := codec.Unmarshal(v, out); err != nil {
			return errBadClientAnswer
		}
		return nil
	}
	if !q.hasCapability(capability) {
		return &CapabilityError{Capability: capability}
	}
	body, err := codec.AppendJSON(nil, params)
	if err != nil {
		return err
	}
	q.inputRequests = append(q.inputRequests, inputRequest{key: key, method: method, params: body})
	return ErrInputRequired
}

func itoa(n int) string { return string(appendInt(nil, n)) }

// request sends a server→client request related to q and waits for the
// answer, the handler's cancellation, or the timeout, through the sending
// hook if one is set. Worker goroutine.
func (s *Session) request(q *Request, method string, params []byte) ([]byte, error) {
	seq := s.outSeq.Add(1)
	id := append([]byte(`"densemcp-`), appendInt(nil, int(seq))...)
	id = append(id, '"')
	hook := s.r.sendHook()
	if hook == nil {
		return s.roundTrip(q.ctx, id, method, params, q.id)
	}
	c := &Call{}
	c.beginSend(s, method, params)
	c.id, c.related, c.sender = id, q.id, q
	c.step = stepRequest
	return c.runHook(hook, q.ctx)
}

// roundTrip sends request id and waits for the client's answer, ctx's end,
// or the timeout. related is the client request it belongs to. Worker
// goroutine.
func (s *Session) roundTrip(ctx context.Context, id []byte, method string, params, related []byte) ([]byte, error) {
	key := string(id)
	msg := codec.AppendRequest(nil, id, method, params)
	ch := make(chan clientAnswer, 1)
	// A full inbox is a busy shard, not a closed session: wait for room.
	err := postSure(s.shard, func() {
		if s.closed {
			ch <- clientAnswer{err: errSessionClosed}
			return
		}
		if s.pending == nil {
			s.pending = make(map[string]chan clientAnswer)
		}
		s.pending[key] = ch
		s.escaped = true
		s.out.Send(MsgRelated, related, msg)
	})
	if err != nil {
		return nil, errSessionClosed
	}
	timer := time.NewTimer(s.r.opts.ClientRequestTimeout)
	defer timer.Stop()
	forget := func() { _ = postSure(s.shard, func() { delete(s.pending, key) }) }
	select {
	case a := <-ch:
		if a.err != nil {
			return nil, a.err
		}
		if a.errObj != nil {
			var ce ClientError
			_ = codec.Unmarshal(a.errObj, &ce)
			return nil, &ce
		}
		return a.result, nil
	case <-ctx.Done():
		forget()
		return nil, ctx.Err()
	case <-timer.C:
		forget()
		return nil, ErrClientTimeout
	}
}

// handleResponse routes a client's answer to the handler waiting for it.
// Shard goroutine. Unknown ids are ignored.
func (s *Session) handleResponse(m *codec.Message) {
	ch, ok := s.pending[string(m.ID)]
	if !ok {
		return
	}
	delete(s.pending, string(m.ID))
	var a clientAnswer
	if m.Kind == codec.KindErrorResponse {
		a.errObj = append([]byte(nil), m.Error...)
	} else {
		a.result = append([]byte(nil), m.Result...)
	}
	ch <- a
}

// ElicitationComplete tells the client that the URL-mode elicitation
// elicitationID finished out of band (notifications/elicitation/complete,
// legacy era). The modern era has no such notification: the retried request
// carries the outcome, so this does nothing there.
func (q *Request) ElicitationComplete(elicitationID string) {
	if q.session.era != EraLegacy {
		return
	}
	p := codec.AppendString([]byte(`{"elicitationId":`), elicitationID)
	p = append(p, '}')
	q.notify("notifications/elicitation/complete", p)
}
