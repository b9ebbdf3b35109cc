// Package cmdline splits a kernel command line into parameters the way the
// Linux kernel does (kernel/params.c next_arg): whitespace separates
// parameters, double quotes group whitespace, a parameter is key or
// key=value, and everything after a bare "--" belongs to init.
//
// Unlike some libraries it keeps every occurrence of a repeated key, in
// order: several ip= or node.disk= are meaningful.
package cmdline

import "strings"

// Param is one parameter of a kernel command line.
type Param struct {
	// Key is the text before the first '=' (quotes removed).
	Key string
	// Value is the text after the first '=' with its surrounding quotes removed.
	Value string
	// HasValue tells "key" (false) from "key=" (true, empty Value).
	HasValue bool
	// Raw is the parameter exactly as written, quotes included, so it can
	// be passed through to another command line unchanged.
	Raw string
	// Init is true for the "--" separator and every parameter after it:
	// the kernel hands those to init instead of parsing them.
	Init bool
}

// String returns the parameter as it would be written on a command line.
func (p Param) String() string {
	if p.Raw != "" {
		return p.Raw
	}
	return Format(p.Key, p.Value, p.HasValue)
}

// Format writes key[=value], quoting the value when it holds whitespace.
func Format(key, value string, hasValue bool) string {
	if !hasValue {
		return key
	}
	if strings.ContainsAny(value, " \t\n\r\v\f") {
		return key + `="` + value + `"`
	}
	return key + "=" + value
}

// isSpace matches the kernel's isspace() for the ASCII range it sees.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// Tokenize splits s into parameters. It never fails: an unterminated
// quote runs to the end of the line, as in the kernel.
func Tokenize(s string) []Param {
	var out []Param
	init := false
	i := 0
	for {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		if i >= len(s) {
			return out
		}
		start := i
		inQuote := false
		for i < len(s) {
			c := s[i]
			if isSpace(c) && !inQuote {
				break
			}
			if c == '"' {
				inQuote = !inQuote
			}
			i++
		}
		p := split(s[start:i])
		if !init && p.Key == "--" && !p.HasValue {
			init = true
		}
		p.Init = init
		out = append(out, p)
	}
}

// split parses one whitespace-delimited word like next_arg: a leading quote
// is dropped with the trailing one, and a value's surrounding quotes are
// dropped; quotes elsewhere stay (the kernel keeps them too).
func split(raw string) Param {
	p := Param{Raw: raw}
	w := raw
	quoted := false
	if strings.HasPrefix(w, `"`) {
		w = w[1:]
		quoted = true
	}
	// The '=' that splits key from value is the first one, even inside quotes.
	eq := strings.IndexByte(w, '=')
	if eq < 0 {
		if quoted {
			w = strings.TrimSuffix(w, `"`)
		}
		p.Key = w
		return p
	}
	p.Key, p.Value, p.HasValue = w[:eq], w[eq+1:], true
	if strings.HasPrefix(p.Value, `"`) {
		p.Value = p.Value[1:]
		p.Value = strings.TrimSuffix(p.Value, `"`)
	} else if quoted {
		p.Value = strings.TrimSuffix(p.Value, `"`)
	}
	return p
}
