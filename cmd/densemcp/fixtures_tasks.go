package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/densemcp/densemcp"
)

// The tasks extension scenarios' fixtures (tasks-*, SEP-2663), which serve
// the 2025-11-25 core tasks too.
func registerTaskFixtures(s *densemcp.Server, add func(error)) {
	optional := &densemcp.ToolExecution{TaskSupport: densemcp.TaskOptional}
	required := &densemcp.ToolExecution{TaskSupport: densemcp.TaskRequired}
	schema := func(props string, required ...string) json.RawMessage {
		req, _ := json.Marshal(required)
		if required == nil {
			req = []byte("[]")
		}
		return json.RawMessage(`{"type":"object","properties":{` + props + `},"required":` + string(req) + `}`)
	}
	add(s.AddRawTool(&densemcp.Tool{Name: "greet", Description: "Greets someone (never a task)", Inline: true,
		InputSchema: schema(`"name":{"type":"string"}`, "name")},
		func(_ context.Context, req *densemcp.Request, args json.RawMessage) error {
			var in struct{ Name string }
			if err := json.Unmarshal(args, &in); err != nil {
				return err
			}
			req.Result.AddText("Hello, " + in.Name + "!")
			return nil
		}))
	// slow_compute answers at once for seconds 0 and becomes a task
	// otherwise; tasks/cancel stops its sleep.
	add(s.AddRawTool(&densemcp.Tool{Name: "slow_compute", Description: "Sleeps for seconds, then answers; a task when it takes time",
		Execution: optional, DeferTask: true, InputSchema: schema(`"seconds":{"type":"number","minimum":0},"label":{"type":"string"}`, "seconds")},
		func(_ context.Context, req *densemcp.Request, args json.RawMessage) error {
			var in struct {
				Seconds float64
				Label   string
			}
			if err := json.Unmarshal(args, &in); err != nil {
				return err
			}
			if in.Seconds > 0 {
				if _, err := req.StartTask(); err != nil && !errors.Is(err, densemcp.ErrNoTask) {
					return err
				}
			}
			if err := sleepCtx(req, time.Duration(in.Seconds*float64(time.Second))); err != nil {
				return err
			}
			req.Result.AddText(fmt.Sprintf("Computed %s in %gs", in.Label, in.Seconds))
			return nil
		}))
	add(s.AddRawTool(&densemcp.Tool{Name: "failing_job", Description: "Fails with a tool error after a second (task only)",
		Execution: required, InputSchema: schema(``)},
		func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
			if err := sleepCtx(req, time.Second); err != nil {
				return err
			}
			return errors.New("the job failed: simulated tool execution error")
		}))
	add(s.AddRawTool(&densemcp.Tool{Name: "protocol_error_job", Description: "Panics: a protocol-level failure",
		Execution: optional, InputSchema: schema(``)},
		func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
			panic("protocol_error_job: simulated crash")
		}))
	confirmSchema := map[string]any{"type": "object", "properties": map[string]any{"confirm": map[string]any{"type": "boolean"}}, "required": []string{"confirm"}}
	add(s.AddRawTool(&densemcp.Tool{Name: "confirm_delete", Description: "Asks for confirmation, then deletes a file",
		Execution: optional, InputSchema: schema(`"filename":{"type":"string"}`, "filename")},
		func(_ context.Context, req *densemcp.Request, args json.RawMessage) error {
			var in struct{ Filename string }
			if err := json.Unmarshal(args, &in); err != nil {
				return err
			}
			res, err := req.ElicitAs("confirm", &densemcp.ElicitParams{Message: "Delete " + in.Filename + "?", RequestedSchema: confirmSchema})
			if err != nil {
				return err
			}
			if res.Action == "accept" && res.Content["confirm"] == true {
				req.Result.AddText("Deleted " + in.Filename)
			} else {
				req.Result.AddText("Kept " + in.Filename)
			}
			return nil
		}))
	add(s.AddRawTool(&densemcp.Tool{Name: "multi_input", Description: "Asks two questions at once",
		Execution: optional, InputSchema: schema(``)},
		func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
			nameSchema := map[string]any{"type": "object", "properties": map[string]any{"name": map[string]any{"type": "string"}}, "required": []string{"name"}}
			a, err1 := req.ElicitAs("name", &densemcp.ElicitParams{Message: "What is your name?", RequestedSchema: nameSchema})
			b, err2 := req.ElicitAs("confirm", &densemcp.ElicitParams{Message: "Proceed?", RequestedSchema: confirmSchema})
			if err := errors.Join(err1, err2); err != nil {
				if errors.Is(err, densemcp.ErrInputRequired) {
					return densemcp.ErrInputRequired
				}
				return err
			}
			req.Result.AddText(fmt.Sprintf("name=%v confirm=%v", a.Content["name"], b.Content["confirm"]))
			return nil
		}))
	// test_tool_with_task gathers input with input_required rounds, then
	// turns into a task (MRTR before the task, as SEP-2663 recommends).
	add(s.AddRawTool(&densemcp.Tool{Name: "test_tool_with_task", Description: "Asks the user's name, then finishes as a task",
		Execution: required, DeferTask: true, InputSchema: schema(``)},
		func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
			res, err := req.ElicitAs("user_name", &densemcp.ElicitParams{Message: "What is your name?",
				RequestedSchema: map[string]any{"type": "object", "properties": map[string]any{"name": map[string]any{"type": "string"}}, "required": []string{"name"}}})
			if err != nil {
				return err
			}
			if _, err := req.StartTask(); err != nil && !errors.Is(err, densemcp.ErrNoTask) {
				return err
			}
			if err := sleepCtx(req, 200*time.Millisecond); err != nil {
				return err
			}
			req.Result.AddText(fmt.Sprintf("Hello, %v!", res.Content["name"]))
			return nil
		}))
}

// sleepCtx waits d or until the request is cancelled.
func sleepCtx(req *densemcp.Request, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-req.Context().Done():
		return req.Context().Err()
	}
}
