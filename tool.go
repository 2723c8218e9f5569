package densemcp

import (
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/densemcp/densemcp/codec"
	"github.com/densemcp/densemcp/codec/schema"
	"github.com/densemcp/densemcp/router"
)

// AddTool registers a tool with a typed handler, in the shape of the
// official Go SDK's AddTool[In, Out]: the input schema is inferred from In
// and the output schema from Out (unless t sets them), arguments are
// validated and decoded into In, and the returned Out becomes
// structuredContent, mirrored as JSON text content unless the handler
// added content of its own (req.Result.AddText, ...). Use any as Out for a
// tool without structured output. A returned error becomes a tool result
// with isError true (an *RPCError a JSON-RPC error instead).
func AddTool[In, Out any](s *Server, t *Tool, h ToolHandlerFor[In, Out]) error {
	tt := *t
	if len(tt.InputSchema) == 0 {
		sc, err := schema.ForType[In]()
		if err != nil {
			return fmt.Errorf("tool %q: cannot infer input schema: %w", t.Name, err)
		}
		tt.InputSchema = json.RawMessage(sc.JSON())
	}
	structured := reflect.TypeFor[Out]() != reflect.TypeFor[any]()
	if structured && len(tt.OutputSchema) == 0 {
		sc, err := schema.ForType[Out]()
		if err != nil {
			return fmt.Errorf("tool %q: cannot infer output schema: %w", t.Name, err)
		}
		tt.OutputSchema = json.RawMessage(sc.JSON())
		// sonic encodes Out exactly as the inferred schema describes it.
		tt.OutputConforms = true
	}
	raw := func(q *router.Request, args []byte) error {
		var in In
		if err := codec.Unmarshal(args, &in); err != nil {
			return fmt.Errorf("invalid arguments: %w", err)
		}
		req := requestOf(q)
		out, err := h(q.Context(), req, in)
		if err != nil {
			return err
		}
		if !structured {
			return nil
		}
		res := &q.Result
		if err := res.EncodeStructured(out); err != nil {
			return fmt.Errorf("cannot encode tool output: %w", err)
		}
		if !res.HasContent() {
			res.AddTextBytes(res.StructuredJSON())
		}
		return nil
	}
	return s.r.AddTool(toolToRouter(&tt), raw, false)
}

// AddRawTool registers a tool whose handler reads the raw arguments — the
// allocation-free path. t.InputSchema (and OutputSchema, if any) are JSON
// Schema documents; arguments are validated against InputSchema before h
// runs. A name registered twice is an error (ErrToolExists).
func (s *Server) AddRawTool(t *Tool, h RawToolHandler) error {
	if h == nil {
		return fmt.Errorf("tool %q: nil handler", t.Name)
	}
	return s.r.AddTool(toolToRouter(t), rawToolToRouter(h), false)
}

// RemoveTools unregisters tools by name and reports how many were removed;
// sessions hear notifications/tools/list_changed.
func (s *Server) RemoveTools(names ...string) int { return s.r.RemoveTools(names...) }
