package densemcp

import "github.com/densemcp/densemcp/router"

// Conversions between the public types and the router's, which has its
// own copies so that it does not depend on this package. Descriptions are
// converted once, at registration; handler results per call. Types with
// the same fields of the same types convert directly; the others field by
// field (TestConversionsCoverEveryField keeps the two sides in step).

func convSlice[T, U any](in []T, f func(T) U) []U {
	if in == nil {
		return nil
	}
	out := make([]U, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}

func iconToRouter(i Icon) router.Icon { return router.Icon(i) }

func implementationToRouter(i Implementation) router.Implementation {
	return router.Implementation{Name: i.Name, Title: i.Title, Version: i.Version, Description: i.Description,
		WebsiteURL: i.WebsiteURL, Icons: convSlice(i.Icons, iconToRouter)}
}

func annotationsToRouter(a *Annotations) *router.Annotations {
	if a == nil {
		return nil
	}
	r := router.Annotations(*a)
	return &r
}

func toolToRouter(t *Tool) router.Tool {
	rt := router.Tool{Name: t.Name, Title: t.Title, Description: t.Description, InputSchema: t.InputSchema,
		OutputSchema: t.OutputSchema, Icons: convSlice(t.Icons, iconToRouter), Meta: t.Meta,
		Inline: t.Inline, OutputConforms: t.OutputConforms, Requires: t.Requires, DeferTask: t.DeferTask, Scopes: t.Scopes}
	if t.Annotations != nil {
		a := router.ToolAnnotations(*t.Annotations)
		rt.Annotations = &a
	}
	if t.Execution != nil {
		rt.Execution = &router.ToolExecution{TaskSupport: router.TaskSupport(t.Execution.TaskSupport)}
	}
	return rt
}

func resourceToRouter(r *Resource) router.Resource {
	return router.Resource{URI: r.URI, Name: r.Name, Title: r.Title, Description: r.Description, MimeType: r.MimeType,
		Size: r.Size, Annotations: annotationsToRouter(r.Annotations), Icons: convSlice(r.Icons, iconToRouter),
		Meta: r.Meta, Inline: r.Inline, Scopes: r.Scopes}
}

func templateToRouter(t *ResourceTemplate) router.ResourceTemplate {
	return router.ResourceTemplate{URITemplate: t.URITemplate, Name: t.Name, Title: t.Title, Description: t.Description,
		MimeType: t.MimeType, Annotations: annotationsToRouter(t.Annotations), Icons: convSlice(t.Icons, iconToRouter),
		Meta: t.Meta, Inline: t.Inline, Complete: completeToRouter(t.Complete), Scopes: t.Scopes}
}

func promptToRouter(p *Prompt) router.Prompt {
	return router.Prompt{Name: p.Name, Title: p.Title, Description: p.Description,
		Arguments: convSlice(p.Arguments, func(a PromptArgument) router.PromptArgument { return router.PromptArgument(a) }),
		Icons:     convSlice(p.Icons, iconToRouter), Meta: p.Meta, Inline: p.Inline,
		Complete: completeToRouter(p.Complete), Scopes: p.Scopes}
}

func contentsToRouter(c ResourceContents) router.ResourceContents { return router.ResourceContents(c) }

func contentToRouter(c Content) router.Content {
	rc := router.Content{Type: c.Type, Text: c.Text, Data: c.Data, MimeType: c.MimeType, URI: c.URI, Name: c.Name,
		Annotations: annotationsToRouter(c.Annotations)}
	if c.Resource != nil {
		r := router.ResourceContents(*c.Resource)
		rc.Resource = &r
	}
	return rc
}

func promptResultToRouter(res *GetPromptResult) *router.GetPromptResult {
	if res == nil {
		return nil
	}
	return &router.GetPromptResult{Description: res.Description,
		Messages: convSlice(res.Messages, func(m PromptMessage) router.PromptMessage {
			return router.PromptMessage{Role: m.Role, Content: contentToRouter(m.Content)}
		})}
}

func principalOf(p *router.Principal) *Principal {
	if p == nil {
		return nil
	}
	pp := Principal(*p)
	return &pp
}

func skillToRouter(s Skill) router.Skill {
	return router.Skill{URI: s.URI, Frontmatter: s.Frontmatter,
		Files: convSlice(s.Files, func(f SkillFile) router.SkillFile { return router.SkillFile(f) })}
}
