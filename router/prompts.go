package router

import (
	"errors"
	"fmt"

	"github.com/densemcp/densemcp/codec"
)

// AddPrompt registers a prompt. Sessions are told with
// notifications/prompts/list_changed.
func (r *Router) AddPrompt(p Prompt, h PromptHandler) error {
	if p.Name == "" || h == nil {
		return fmt.Errorf("prompt needs a name and a handler")
	}
	e := &promptEntry{prompt: p, handler: h}
	var err error
	if e.scopes, err = scopeSet(p.Scopes); err != nil {
		return fmt.Errorf("prompt %q: %w", p.Name, err)
	}
	if e.listJSON, err = codec.AppendJSON(nil, &e.prompt); err != nil {
		return fmt.Errorf("prompt %q: cannot encode: %w", p.Name, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.registry.prompts[p.Name] = e
	r.publish(changePrompts)
	return nil
}

// RemovePrompts unregisters prompts by name.
func (r *Router) RemovePrompts(names ...string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, name := range names {
		if _, ok := r.registry.prompts[name]; ok {
			delete(r.registry.prompts, name)
			n++
		}
	}
	if n > 0 {
		r.publish(changePrompts)
	}
	return n
}

func (r *Router) listPrompts(q *request) {
	after, ok := q.cursor()
	if !ok {
		q.s.replyError(q.id, codec.CodeInvalidParams, "Invalid cursor", nil)
		return
	}
	cat := r.catalogOf(q.s.shard)
	start, end := r.page(len(cat.prompts), func(i int) string { return cat.prompts[i].prompt.Name }, after)
	buf := q.s.beginResult(q.id)
	buf = append(buf, `{"prompts":[`...)
	for i := start; i < end; i++ {
		if i > start {
			buf = append(buf, ',')
		}
		buf = append(buf, cat.prompts[i].listJSON...)
	}
	buf = append(buf, ']')
	if end < len(cat.prompts) {
		buf = appendNextCursor(buf, cat.prompts[end-1].prompt.Name)
	}
	buf = r.appendEraFields(buf, q.s.era, true)
	buf = append(buf, '}')
	q.s.endResult(q.id, buf)
}

func (r *Router) getPrompt(q *request) {
	name, ok := q.stringParam("name")
	if !ok {
		q.s.replyError(q.id, codec.CodeInvalidParams, "prompts/get: name must be a string", nil)
		return
	}
	e := r.catalogOf(q.s.shard).promptBy[name]
	if e == nil {
		q.s.replyError(q.id, codec.CodeInvalidParams, "Unknown prompt: "+name, nil)
		return
	}
	if !q.permits(e.scopes) {
		return
	}
	args, ok := codec.ObjectField(q.params, "arguments")
	if !ok || codec.IsNull(args) {
		args = emptyObject
	} else if !codec.IsObject(args) {
		q.s.replyError(q.id, codec.CodeInvalidParams, "prompts/get: arguments must be an object of strings", nil)
		return
	}
	r.dispatch(q, target{kind: targetPrompt, prompt: e, inline: e.prompt.Inline}, args)
}

// runPrompt checks the arguments (strings; every required one present)
// and runs the prompt's handler.
func runPrompt(req *Request, e *promptEntry, raw []byte) error {
	args := make(map[string]string)
	var bad error
	codec.ObjectEach(raw, func(k, v []byte) bool {
		if !codec.IsString(v) {
			bad = fmt.Errorf("%w: argument %q must be a string", errInvalidPromptArgs, k)
			return false
		}
		s, err := codec.Unquote(nil, v)
		if err != nil {
			bad = fmt.Errorf("%w: argument %q: %v", errInvalidPromptArgs, k, err)
			return false
		}
		args[string(k)] = string(s)
		return true
	})
	if bad != nil {
		return bad
	}
	for _, a := range e.prompt.Arguments {
		if _, ok := args[a.Name]; a.Required && !ok {
			return fmt.Errorf("%w: missing required argument %q", errInvalidPromptArgs, a.Name)
		}
	}
	res, err := e.handler(req, args)
	if err != nil {
		return err
	}
	if res == nil {
		return errors.New("prompt handler returned no result")
	}
	req.promptResult = res
	return nil
}

func (r *Router) appendPromptResult(buf []byte, era Era, res *GetPromptResult) ([]byte, error) {
	if res.Messages == nil {
		res.Messages = []PromptMessage{}
	}
	start := len(buf)
	var err error
	if buf, err = codec.AppendJSON(buf, res); err != nil {
		return buf, err
	}
	// Reopen the object to add the era's fields.
	if len(buf) > start && buf[len(buf)-1] == '}' {
		buf = buf[:len(buf)-1]
		buf = r.appendEraFields(buf, era, false)
		buf = append(buf, '}')
	}
	return buf, nil
}
