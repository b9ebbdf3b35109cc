package installer

import (
	"fmt"
	"strings"
)

// Problem is one validation error: the field, the kernel argument and
// value it came from (when it did) and what is expected.
type Problem struct {
	Field string `json:"field"`
	Arg   string `json:"arg,omitempty"`
	Value string `json:"value,omitempty"`
	Msg   string `json:"message"`
}

func (p Problem) String() string {
	var b strings.Builder
	if strings.HasPrefix(p.Arg, answerArg) && p.Field != "" {
		// An answer-file problem names the line and the key path.
		b.WriteString(p.Arg + ": " + p.Field)
		if p.Value != "" {
			fmt.Fprintf(&b, "=%s", p.Value)
		}
		b.WriteString(": ")
	} else if p.Arg != "" {
		b.WriteString(p.Arg)
		if p.Value != "" {
			fmt.Fprintf(&b, "=%s", p.Value)
		}
		b.WriteString(": ")
	} else if p.Field != "" {
		b.WriteString(p.Field + ": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Problems is every problem found at once; it is an error when non-empty.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}
