package schema

// compileObject reads the object keywords. Every name that required,
// dependentRequired or dependentSchemas mentions gets a bit in the
// presence set; properties share the same name table, so validating a
// member costs one map lookup.
func (s *scope) compileObject() error {
	if s.ignored() {
		return nil
	}
	err := s.subMap("properties", func(name string, n *node) error {
		e := s.entry(name)
		e.prop = n
		s.n.names[name] = e
		return nil
	})
	if err != nil {
		return err
	}
	err = s.subMap("patternProperties", func(src string, n *node) error {
		if len(s.n.patternProperties) == maxPatternProperties {
			return s.errorf("patternProperties", "has more than %d patterns", maxPatternProperties)
		}
		re, err := compilePattern(src)
		if err != nil {
			return s.failf(ErrUnsupportedPattern, "patternProperties", "%q: %v", src, err)
		}
		s.n.patternProperties = append(s.n.patternProperties, patternProperty{re: re, node: n})
		return nil
	})
	if err != nil {
		return err
	}
	if s.n.additional, err = s.sub("additionalProperties"); err != nil {
		return err
	}
	if s.n.propertyNames, err = s.sub("propertyNames"); err != nil {
		return err
	}
	if err := s.count("minProperties", &s.n.minProperties); err != nil {
		return err
	}
	if err := s.count("maxProperties", &s.n.maxProperties); err != nil {
		return err
	}
	if raw, ok := s.kw["required"]; ok {
		if s.n.required, err = s.names("required", raw); err != nil {
			return err
		}
	}
	return s.compileDependencies()
}

// compileDependencies reads dependentRequired and dependentSchemas, or
// draft-07's dependencies, which holds both kinds in one object.
func (s *scope) compileDependencies() error {
	namesKeyword, schemasKeyword := "dependentRequired", "dependentSchemas"
	if s.c.draft == draft07 {
		namesKeyword, schemasKeyword = "dependencies", "dependencies"
	}
	if raw, ok := s.kw[namesKeyword]; ok {
		if valueKind(raw) != kindObject {
			return s.errorf(namesKeyword, "must be an object")
		}
		it := newMembers(raw)
		for {
			key, val, ok := it.next()
			if !ok {
				break
			}
			if valueKind(val) != kindArray && s.c.draft == draft07 {
				continue // a draft-07 schema dependency, read below
			}
			name, _ := decodeString(key)
			t, err := s.track(name)
			if err != nil {
				return err
			}
			req, err := s.names(namesKeyword, val)
			if err != nil {
				return err
			}
			s.n.dependentRequired = append(s.n.dependentRequired, dependency{trackedName: t, required: req})
		}
	}
	raw, ok := s.kw[schemasKeyword]
	if !ok {
		return nil
	}
	if valueKind(raw) != kindObject {
		return s.errorf(schemasKeyword, "must be an object")
	}
	// Compile the schema members only: draft-07 arrays were handled above.
	it := newMembers(raw)
	for {
		key, val, ok := it.next()
		if !ok {
			return nil
		}
		if valueKind(val) == kindArray && s.c.draft == draft07 {
			continue
		}
		name, _ := decodeString(key)
		n, err := s.c.compile(val, s.ptr+"/"+escapePointer(schemasKeyword)+"/"+escapePointer(name), s.depth+1, s.embedded)
		if err != nil {
			return err
		}
		t, err := s.track(name)
		if err != nil {
			return err
		}
		s.n.dependentSchemas = append(s.n.dependentSchemas, dependentSchema{trackedName: t, node: n})
	}
}

// names reads an array of property names and tracks each one.
func (s *scope) names(keyword string, raw []byte) ([]trackedName, error) {
	if valueKind(raw) != kindArray {
		return nil, s.errorf(keyword, "must be an array of strings")
	}
	list := []trackedName{}
	it := newElements(raw)
	for {
		e, ok := it.next()
		if !ok {
			return list, nil
		}
		name, ok := decodeString(e)
		if !ok {
			return nil, s.errorf(keyword, "must be an array of strings")
		}
		t, err := s.track(name)
		if err != nil {
			return nil, err
		}
		list = append(list, t)
	}
}

// entry returns the name table entry for name, creating an untracked one.
func (s *scope) entry(name string) nameEntry {
	if s.n.names == nil {
		s.n.names = map[string]nameEntry{}
	}
	e, ok := s.n.names[name]
	if !ok {
		e.bit = -1
	}
	return e
}

// track gives name a presence bit.
func (s *scope) track(name string) (trackedName, error) {
	e := s.entry(name)
	if e.bit < 0 {
		if s.tracked == maxTrackedNames {
			return trackedName{}, s.errorf("required", "and dependencies name more than %d properties", maxTrackedNames)
		}
		e.bit = s.tracked
		s.tracked++
		s.n.names[name] = e
	}
	return trackedName{name: name, bit: e.bit}, nil
}
