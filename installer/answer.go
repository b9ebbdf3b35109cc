package installer

import (
	"encoding"
	"fmt"
	"io"
	"node-installer/internal/event"
	"node-installer/storage"
	"reflect"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// answerArg names an answer-file origin in problems.
const answerArg = "answer file"

// LoadAnswerFile reads a YAML answer file into cfg (usually Defaults()),
// then call ApplyCmdline for the kernel arguments on top. Its keys mirror
// the JSON names of Config ("network: {hostname: node1, dns: [192.0.2.2]}").
// A key present replaces cfg's value (maps such as storage.volumes merge
// per key); an unknown key or a value of the wrong type is a problem
// naming its line. Values are not checked here: call Validate.
func LoadAnswerFile(r io.Reader, cfg *Config) Problems {
	data, err := io.ReadAll(r)
	if err != nil {
		return Problems{{Arg: answerArg, Msg: fmt.Sprintf("read: %v", err)}}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return Problems{{Arg: answerArg, Msg: yamlErr(err)}}
	}
	if cfg.Origins == nil {
		cfg.Origins = map[string]Origin{}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil // empty file
	}
	d := &answerDecoder{cfg: cfg}
	d.decode(doc.Content[0], reflect.ValueOf(cfg).Elem(), "")
	cfg.derive()
	return d.ps
}

// yamlErr keeps a YAML syntax error's line without echoing document text
// beyond what yaml.v3 quotes (it quotes tokens, not values of keys).
func yamlErr(err error) string {
	return strings.TrimPrefix(err.Error(), "yaml: ")
}

type answerDecoder struct {
	cfg *Config
	ps  Problems
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

// secretField tells whether a field path holds a secret.
func secretField(path string) bool {
	return path == "host.adminpw" || path == "host.rootpw" || event.SecretKey(path[strings.LastIndexAny(path, ".")+1:])
}

// urlFields take URLs that may carry a token (urlArgs' fields).
var urlFields = map[string]bool{"unattended.webhook": true, "unattended.config": true, "unattended.media": true,
	"unattended.done_url": true, "unattended.local_boot_trigger": true}

// shownAnswer is a scalar as problems and origins may show it: secrets
// masked, tokens in URLs hidden.
func shownAnswer(path, v string) string {
	switch {
	case secretField(path):
		return masked
	case urlFields[strings.TrimRight(strings.TrimRight(path, "]0123456789"), "[")]:
		return event.RedactURL(v)
	}
	return event.Redact(v)
}

func (d *answerDecoder) fail(n *yaml.Node, path, format string, args ...any) {
	val := ""
	if n.Kind == yaml.ScalarNode && !secretField(path) {
		val = shownAnswer(path, n.Value)
	}
	d.ps = append(d.ps, Problem{Field: path, Arg: fmt.Sprintf("%s line %d", answerArg, n.Line), Value: val,
		Msg: fmt.Sprintf(format, args...)})
}

// decode sets v from n, walking structs by their JSON field names.
func (d *answerDecoder) decode(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.AliasNode {
		// Anchors and aliases are refused: an answer file needs none, and
		// an alias cycle or an alias bomb must not hang the installer.
		d.fail(n, path, "YAML aliases (*name) are not supported in an answer file")
		return
	}
	if path != "" {
		val := ""
		if n.Kind == yaml.ScalarNode {
			val = shownAnswer(path, n.Value)
		}
		d.cfg.Origins[path] = Origin{Arg: fmt.Sprintf("%s line %d", answerArg, n.Line), Value: val}
	}
	if reflect.PointerTo(v.Type()).Implements(textUnmarshaler) {
		if n.Kind != yaml.ScalarNode {
			d.fail(n, path, "expects a single value")
			return
		}
		if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(n.Value)); err != nil {
			d.fail(n, path, "cannot read this value: %v", err)
		}
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			v.SetZero()
			return
		}
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decode(n, v.Elem(), path)
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			d.fail(n, path, "expects a mapping of %s to %s", typeName(v.Type().Key()), typeName(v.Type().Elem()))
			return
		}
		if v.IsNil() {
			v.Set(reflect.MakeMap(v.Type()))
		}
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if line, dup := seen[n.Content[i].Value]; dup {
				d.fail(n.Content[i], path, "key %q given twice (first on line %d)", n.Content[i].Value, line)
				continue
			}
			seen[n.Content[i].Value] = n.Content[i].Line
			k := reflect.New(v.Type().Key()).Elem()
			d.decode(n.Content[i], k, "")
			e := reflect.New(v.Type().Elem()).Elem()
			d.decode(n.Content[i+1], e, path+"."+n.Content[i].Value)
			v.SetMapIndex(k, e)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.fail(n, path, "expects a list of %s", typeName(v.Type().Elem()))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, c := range n.Content {
			d.decode(c, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(s)
	default:
		if n.Kind != yaml.ScalarNode {
			d.fail(n, path, "expects a single %s value", kindName(v.Kind()))
			return
		}
		if err := n.Decode(v.Addr().Interface()); err != nil {
			d.fail(n, path, "expects a %s value", kindName(v.Kind()))
		}
	}
}

// typeName says what a value of t is written as, for "expects a list of ...".
func typeName(t reflect.Type) string {
	switch {
	case t.PkgPath() == "net/netip" && t.Name() == "Addr":
		return "IP addresses"
	case t.PkgPath() == "net/netip" && t.Name() == "Prefix":
		return "addresses with a /prefix"
	case t.Kind() == reflect.Struct, t.Kind() == reflect.Map:
		return "mappings (key: value)"
	case t.Kind() == reflect.Pointer:
		return typeName(t.Elem())
	case t.Kind() == reflect.Slice:
		return "lists"
	case t == reflect.TypeFor[storage.Vol]():
		return "volume names (EFI, Swap, Root, Config, Logging, Data)"
	}
	return kindName(t.Kind()) + " values"
}

func kindName(k reflect.Kind) string {
	switch k {
	case reflect.Bool:
		return "true/false"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "whole number"
	case reflect.Float64, reflect.Float32:
		return "number"
	}
	return "text"
}

// decodeStruct sets a struct's fields from a mapping by JSON name.
func (d *answerDecoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "expects a mapping")
		return
	}
	fields := jsonFields(v.Type())
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		sub := k.Value
		if path != "" {
			sub = path + "." + k.Value
		}
		if line, dup := seen[k.Value]; dup {
			d.fail(k, sub, "key %q given twice (first on line %d)", k.Value, line)
			continue
		}
		seen[k.Value] = k.Line
		idx, ok := fields[k.Value]
		if !ok {
			d.fail(k, sub, "unknown key %q (known here: %s)", k.Value, fieldNames(fields))
			continue
		}
		d.decode(val, v.Field(idx), sub)
	}
}

// jsonFields maps a struct's JSON field names to field indexes.
func jsonFields(t reflect.Type) map[string]int {
	m := map[string]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		m[name] = i
	}
	return m
}

func fieldNames(m map[string]int) string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
