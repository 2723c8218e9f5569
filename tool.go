package densemcp

import (
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/densemcp/densemcp/codec"
	"github.com/densemcp/densemcp/codec/schema"
)

// AddTool registers a tool with a typed handler, in the shape of the
// official Go SDK's AddTool[In, Out]: the input schema is inferred from In
// and the output schema from Out (unless t sets them), arguments are
// validated and decoded into In, and the returned Out becomes
// structuredContent, mirrored as JSON text content unless the handler
// added content of its own (req.Result.AddText...). Use any as Out for a
// tool without structured output. A returned error becomes a tool result
// with isError true.
func AddTool[In, Out any](s *Server, t *Tool, h func(req *Request, in In) (Out, error)) error {
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
	raw := func(req *Request, args []byte) error {
		var in In
		if err := codec.Unmarshal(args, &in); err != nil {
			return fmt.Errorf("invalid arguments: %w", err)
		}
		out, err := h(req, in)
		if err != nil {
			return err
		}
		if !structured {
			return nil
		}
		if err := req.Result.EncodeStructured(out); err != nil {
			return fmt.Errorf("cannot encode tool output: %w", err)
		}
		if !req.Result.HasContent() {
			req.Result.AddTextBytes(req.Result.StructuredJSON())
		}
		return nil
	}
	return s.r.AddTool(tt, raw, false)
}
