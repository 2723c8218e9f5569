package densemcp

import "github.com/densemcp/densemcp/router"

// Resources, prompts, completion and the client-facing calls of a Request.
type (
	Annotations         = router.Annotations
	Resource            = router.Resource
	ResourceTemplate    = router.ResourceTemplate
	ResourceContents    = router.ResourceContents
	ResourceHandler     = router.ResourceHandler
	Prompt              = router.Prompt
	PromptArgument      = router.PromptArgument
	PromptMessage       = router.PromptMessage
	PromptHandler       = router.PromptHandler
	Content             = router.Content
	GetPromptResult     = router.GetPromptResult
	CompleteFunc        = router.CompleteFunc
	ElicitParams        = router.ElicitParams
	ElicitResult        = router.ElicitResult
	CreateMessageParams = router.CreateMessageParams
	CreateMessageResult = router.CreateMessageResult
	SamplingMessage     = router.SamplingMessage
	ListRootsResult     = router.ListRootsResult
	Root                = router.Root
	LogLevel            = router.LogLevel
	RPCError            = router.RPCError
	CapabilityError     = router.CapabilityError
	ClientError         = router.ClientError
	ToolExecution       = router.ToolExecution
	TaskSupport         = router.TaskSupport
)

// Task support of a tool (Tool.Execution.TaskSupport), and the tasks
// extension's identifier.
const (
	ExtTasks      = router.ExtTasks
	TaskForbidden = router.TaskForbidden
	TaskOptional  = router.TaskOptional
	TaskRequired  = router.TaskRequired
)

// Log levels for Request.Log (RFC 5424 severities, as MCP names them).
const (
	LevelDebug     = router.LevelDebug
	LevelInfo      = router.LevelInfo
	LevelNotice    = router.LevelNotice
	LevelWarning   = router.LevelWarning
	LevelError     = router.LevelError
	LevelCritical  = router.LevelCritical
	LevelAlert     = router.LevelAlert
	LevelEmergency = router.LevelEmergency
)

// Errors handlers return or test for.
var (
	// ErrResourceNotFound: return it from a resource handler for an unknown URI.
	ErrResourceNotFound = router.ErrResourceNotFound
	// ErrInputRequired: Elicit/Sample/ListRoots in the modern era when the
	// client must answer first; return it from the handler.
	ErrInputRequired = router.ErrInputRequired
	// ErrWouldBlock: an Inline handler asked the client for something.
	ErrWouldBlock = router.ErrWouldBlock
	// ErrClientTimeout: the client did not answer a legacy request in time.
	ErrClientTimeout = router.ErrClientTimeout
	// ErrNoTask: Request.StartTask in a call that cannot become a task.
	ErrNoTask = router.ErrNoTask
)

// TextContents returns text resource contents.
func TextContents(uri, mimeType, text string) ResourceContents {
	return router.TextContents(uri, mimeType, text)
}

// BlobContents returns binary resource contents (sent base64-encoded).
func BlobContents(uri, mimeType string, blob []byte) ResourceContents {
	return router.BlobContents(uri, mimeType, blob)
}

// AddResource registers a concrete resource.
func (s *Server) AddResource(r *Resource, h ResourceHandler) error { return s.r.AddResource(*r, h) }

// AddResourceTemplate registers an RFC 6570 resource template.
func (s *Server) AddResourceTemplate(t *ResourceTemplate, h ResourceHandler) error {
	return s.r.AddResourceTemplate(*t, h)
}

// RemoveResources unregisters concrete resources by URI.
func (s *Server) RemoveResources(uris ...string) int { return s.r.RemoveResources(uris...) }

// ResourceUpdated notifies the sessions subscribed to uri.
func (s *Server) ResourceUpdated(uri string) { s.r.ResourceUpdated(uri) }

// AddPrompt registers a prompt.
func (s *Server) AddPrompt(p *Prompt, h PromptHandler) error { return s.r.AddPrompt(*p, h) }

// RemovePrompts unregisters prompts by name.
func (s *Server) RemovePrompts(names ...string) int { return s.r.RemovePrompts(names...) }
