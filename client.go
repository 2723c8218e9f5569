package densemcp

import (
	"encoding/json"
	"errors"

	"github.com/densemcp/densemcp/router"
)

// What a handler asks of the client: elicitation (the user), sampling (the
// client's model) and roots. In the legacy era the server sends the
// request and the handler waits for the answer (a blocking handler only:
// Inline ones get ErrWouldBlock). In the modern era the first call returns
// ErrInputRequired, which the handler returns; the client answers and
// retries the request, and the handler, run again, finds the answer.

// ElicitParams are the params of elicitation/create.
type ElicitParams struct {
	// Mode is "form" (default) or "url".
	Mode    string `json:"mode,omitempty"`
	Message string `json:"message"`
	// RequestedSchema is the JSON Schema of a form's answer (flat object
	// of primitive properties).
	RequestedSchema any `json:"requestedSchema,omitempty"`
	// URL and ElicitationID are for URL mode.
	URL           string         `json:"url,omitempty"`
	ElicitationID string         `json:"elicitationId,omitempty"`
	Meta          map[string]any `json:"_meta,omitempty"`
}

// ElicitResult is the client's answer to an elicitation.
type ElicitResult struct {
	// Action is "accept", "decline" or "cancel".
	Action  string         `json:"action"`
	Content map[string]any `json:"content,omitempty"`
}

// SamplingMessage is one message of a sampling request.
type SamplingMessage struct {
	// Role is "user" or "assistant".
	Role string `json:"role"`
	// Content is a Content (Text, Image, Audio), or a []Content.
	Content any `json:"content"`
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
	Role string `json:"role"`
	// Content is the raw content block (or blocks) the model produced.
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

// Elicit asks the user for input through the client (elicitation/create).
// In the modern era the request gets an automatic key; ElicitAs names it.
func (r *Request) Elicit(p *ElicitParams) (*ElicitResult, error) { return r.ElicitAs("", p) }

// ElicitAs is Elicit with the modern era's inputRequests key chosen by the
// caller (ignored in the legacy era).
func (r *Request) ElicitAs(key string, p *ElicitParams) (*ElicitResult, error) {
	res, err := r.q.ElicitAs(key, (*router.ElicitParams)(p))
	if err != nil {
		return nil, clientErr(err)
	}
	return (*ElicitResult)(res), nil
}

// Sample asks the client's model for a completion (sampling/createMessage).
// Params with Tools need the client's sampling.tools capability.
func (r *Request) Sample(p *CreateMessageParams) (*CreateMessageResult, error) {
	return r.SampleAs("", p)
}

// SampleAs is Sample with a chosen inputRequests key.
func (r *Request) SampleAs(key string, p *CreateMessageParams) (*CreateMessageResult, error) {
	rp := router.CreateMessageParams{
		Messages:         convSlice(p.Messages, func(m SamplingMessage) router.SamplingMessage { return router.SamplingMessage(m) }),
		ModelPreferences: p.ModelPreferences, SystemPrompt: p.SystemPrompt, IncludeContext: p.IncludeContext,
		Temperature: p.Temperature, MaxTokens: p.MaxTokens, StopSequences: p.StopSequences, Metadata: p.Metadata,
		Tools: p.Tools, ToolChoice: p.ToolChoice}
	res, err := r.q.SampleAs(key, &rp)
	if err != nil {
		return nil, clientErr(err)
	}
	return (*CreateMessageResult)(res), nil
}

// ListRoots asks the client for its roots (roots/list).
func (r *Request) ListRoots() (*ListRootsResult, error) { return r.ListRootsAs("") }

// ListRootsAs is ListRoots with a chosen inputRequests key.
func (r *Request) ListRootsAs(key string) (*ListRootsResult, error) {
	res, err := r.q.ListRootsAs(key)
	if err != nil {
		return nil, clientErr(err)
	}
	return &ListRootsResult{Roots: convSlice(res.Roots, func(x router.Root) Root { return Root(x) })}, nil
}

// clientErr gives the router's errors of a client call their public types.
func clientErr(err error) error {
	var ce *router.ClientError
	if errors.As(err, &ce) {
		return &ClientError{Code: ce.Code, Message: ce.Message}
	}
	var cap *router.CapabilityError
	if errors.As(err, &cap) {
		return &CapabilityError{Capability: cap.Capability}
	}
	return err
}
