package densemcp

// AddResource registers a concrete resource, or replaces the one with its
// URI; sessions hear notifications/resources/list_changed.
func (s *Server) AddResource(r *Resource, h ResourceHandler) error {
	return s.r.AddResource(resourceToRouter(r), resourceHandlerToRouter(h))
}

// AddResourceTemplate registers an RFC 6570 resource template (or replaces
// the one with its template): resources/read of a URI that matches it, and
// no concrete resource, runs h with the template's variables. Templates
// are tried in registration order.
func (s *Server) AddResourceTemplate(t *ResourceTemplate, h ResourceHandler) error {
	return s.r.AddResourceTemplate(templateToRouter(t), resourceHandlerToRouter(h))
}

// RemoveResources unregisters concrete resources by URI and reports how
// many were removed.
func (s *Server) RemoveResources(uris ...string) int { return s.r.RemoveResources(uris...) }

// ResourceUpdated tells the sessions subscribed to uri (legacy
// resources/subscribe, or a modern listen stream) that it changed. Safe
// from any goroutine.
func (s *Server) ResourceUpdated(uri string) { s.r.ResourceUpdated(uri) }

// AddPrompt registers a prompt, or replaces the one with its name;
// sessions hear notifications/prompts/list_changed.
func (s *Server) AddPrompt(p *Prompt, h PromptHandler) error {
	return s.r.AddPrompt(promptToRouter(p), promptHandlerToRouter(h))
}

// RemovePrompts unregisters prompts by name and reports how many were
// removed.
func (s *Server) RemovePrompts(names ...string) int { return s.r.RemovePrompts(names...) }
