package installer

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"node-installer/internal/cmdline"
	"node-installer/internal/event"
)

// masked replaces a secret's value in problems and origins: a password
// hash (or a plain password typed by mistake) never reaches a screen,
// log or webhook.
const masked = "***"

// secretArgs are the arguments whose values are never echoed.
var secretArgs = map[string]bool{"adminpw": true, "rootpw": true}

// ParseCmdline returns Defaults() with every argument of the kernel
// command line applied, and the problems found while reading them
// (syntax). Call Validate on the result for the semantic checks.
func ParseCmdline(s string) (Config, Problems) {
	cfg := Defaults()
	ps := ApplyCmdline(&cfg, s)
	return cfg, ps
}

// ApplyCmdline applies the kernel command line on top of cfg (defaults,
// or an answer file already loaded): an argument given on the command
// line replaces what cfg holds for it; list arguments (ip=, dns=, ntp=,
// node.disk=) replace the whole list; storage_vol replaces only the
// volumes it names; pass-through arguments are appended to BootParams.
// An argument with a problem leaves cfg's value for it unchanged.
func ApplyCmdline(cfg *Config, s string) Problems {
	if cfg.Origins == nil {
		cfg.Origins = map[string]Origin{}
	}
	p := &argParser{cfg: cfg, seen: map[string]cmdline.Param{}, given: map[string]bool{}}
	for _, prm := range cmdline.Tokenize(s) {
		p.arg(prm)
	}
	p.finish()
	cfg.derive()
	return p.probs.redacted()
}

// argHandler reads one argument into the parser's state.
type argHandler func(p *argParser, prm cmdline.Param)

// handlers maps every consumed argument to its reader. The families live
// in cmdline_storage.go, cmdline_network.go and cmdline_services.go.
var handlers map[string]argHandler

func init() {
	handlers = map[string]argHandler{
		// actions
		"install":       (*argParser).action,
		"storage_init":  (*argParser).storageInit,
		"reinstall":     (*argParser).action,
		"firstboot":     (*argParser).action,
		"upgrade":       (*argParser).action,
		"local_boot":    (*argParser).action,
		"ovirt_upgrade": (*argParser).action,
		"uninstall":     (*argParser).action,
		// ovirt-early's own spellings of the actions
		"ovirt_firstboot":  (*argParser).action,
		"ovirt_local_boot": (*argParser).action,
	}
	for _, family := range []map[string]argHandler{storageHandlers, networkHandlers, serviceHandlers, trustHandlers} {
		for k, h := range family {
			if _, dup := handlers[k]; dup {
				panic("installer: argument " + k + " handled twice")
			}
			handlers[k] = h
		}
	}
}

// aliasGroup names arguments that set the same field, so that giving
// both with different values is reported.
var aliasGroup = map[string]string{"reboot_delay": "node.reboot_delay"}

// argAliases are the other spellings ovirt-early (and its plugins)
// accepted, read as the argument they stand for. Problems name the
// argument as given.
var argAliases = map[string]string{
	"ovirt_init":             "storage_init",
	"ovirt_vol":              "storage_vol",
	"ovirt_overcommit":       "mem_overcommit",
	"ovirt_swap_encrypt":     "swap_encrypt",
	"bond_setup":             "bond",
	"management_server_port": "management_port",
	"nameserver":             "dns",    // dracut's; repeatable like dns=
	"ksdevice":               "BOOTIF", // anaconda's (IFNAME, MAC, link; bootif = use BOOTIF)
}

func init() {
	for a, c := range argAliases {
		aliasGroup[a] = c
	}
}

// canonicalKey is the argument key stands for.
func canonicalKey(key string) string {
	if c, ok := argAliases[key]; ok {
		return c
	}
	return key
}

// argParser holds the state of one ApplyCmdline run: arguments that
// combine (ip= with netmask=/gateway=, the actions) are resolved in finish.
type argParser struct {
	cfg   *Config
	probs Problems
	// seen holds the first occurrence of each single-valued argument.
	seen map[string]cmdline.Param
	// given marks list arguments already reset by this command line.
	given map[string]bool

	actions  []cmdline.Param
	ips      []ipEntry
	ovirtIP  *ovirtIP // the ip=ADDR of the oVirt/anaconda form
	netmask  *cmdline.Param
	gateway  *cmdline.Param
	mgmtPort *cmdline.Param
}

// urlArgs take URLs that may carry a token (user:password@ or a query).
var urlArgs = map[string]bool{"node.webhook": true, "node.config": true, "node.media": true,
	"node.done_url": true, "local_boot_trigger": true}

// shown is the value of prm as a problem or an origin may show it.
func shown(prm cmdline.Param) string {
	switch {
	case secretArgs[prm.Key], event.SecretKey(prm.Key):
		return masked
	case urlArgs[prm.Key]:
		return event.RedactURL(prm.Value)
	}
	return redactRunaway(prm.Value)
}

// redacted hides, in every problem, a password that an unterminated quote
// swallowed into another argument's value; messages may quote values too.
func (ps Problems) redacted() Problems {
	for i := range ps {
		ps[i].Value = redactRunaway(ps[i].Value)
		ps[i].Msg = redactRunaway(ps[i].Msg)
	}
	return ps
}

// redactRunaway hides a password that an unterminated quote swallowed
// into another argument's value (`"hostname= adminpw=$6$...`).
func redactRunaway(v string) string {
	for k := range secretArgs {
		for from := 0; ; {
			i := strings.Index(v[from:], k+"=")
			if i < 0 {
				break
			}
			start := from + i + len(k) + 1
			end := start + strings.IndexAny(v[start:]+" ", " \t\"'")
			v = v[:start] + masked + v[end:]
			from = start + len(masked)
		}
	}
	return v
}

// problem records a problem of argument prm for field.
func (p *argParser) problem(field string, prm cmdline.Param, format string, args ...any) {
	p.probs = append(p.probs, Problem{Field: field, Arg: prm.Key, Value: shown(prm), Msg: fmt.Sprintf(format, args...)})
}

// origin records that field came from prm. The origins of its
// sub-fields are dropped: they came from what prm replaced (an answer
// file), and a problem there must name prm.
// A value the answer file set is noted as overridden: the plan says which
// one wins.
func (p *argParser) origin(field string, prm cmdline.Param) {
	from := ""
	for f, o := range p.cfg.Origins {
		sub := strings.HasPrefix(f, field) && len(f) > len(field) && (f[len(field)] == '.' || f[len(field)] == '[')
		if (sub || f == field) && strings.HasPrefix(o.Arg, answerArg) && (from == "" || o.Arg < from) {
			from = o.Arg
		}
		if sub {
			delete(p.cfg.Origins, f)
		}
	}
	if from != "" && !slices.ContainsFunc(p.cfg.Overridden, func(s string) bool { return strings.HasPrefix(s, field+":") }) {
		arg := prm.Key
		if prm.HasValue {
			arg += "="
		}
		p.cfg.Overridden = append(p.cfg.Overridden, fmt.Sprintf("%s: the kernel argument %s wins over the %s", field, arg, from))
	}
	p.cfg.Origins[field] = Origin{Arg: prm.Key, Value: shown(prm)}
}

// once admits the first occurrence of a single-valued argument. A repeat
// with the same value is harmless (PXE menus often append what the
// config already has); a repeat with another value is an error, as a
// silent "last one wins" could install something unintended.
func (p *argParser) once(field string, prm cmdline.Param) bool {
	key := prm.Key
	if g, ok := aliasGroup[key]; ok {
		key = g
	}
	first, dup := p.seen[key]
	if !dup {
		p.seen[key] = prm
		return true
	}
	if first.Value != prm.Value || first.HasValue != prm.HasValue {
		a, b := shown(first), shown(prm)
		if first.Key != prm.Key {
			a, b = first.Key+"="+a, prm.Key+"="+b
		}
		p.problem(field, prm, "given more than once with different values (%s and %s); give it once", a, b)
	}
	return false
}

// resetList clears a list field the first time this command line sets it,
// so kernel arguments replace an answer file's list instead of extending it.
func (p *argParser) resetList(key string, reset func()) {
	if !p.given[key] {
		p.given[key] = true
		reset()
	}
}

// needValue reports an argument given without "=value" that needs one.
func (p *argParser) needValue(field string, prm cmdline.Param, want string) bool {
	if !prm.HasValue || prm.Value == "" {
		p.problem(field, prm, "needs a value: %s=%s", prm.Key, want)
		return false
	}
	return true
}

// flag reads a switch: bare means on; 1/0, yes/no, true/false, on/off, y/n.
func (p *argParser) flag(field string, prm cmdline.Param) (bool, bool) {
	if !prm.HasValue {
		return true, true
	}
	switch strings.ToLower(prm.Value) {
	case "1", "y", "yes", "true", "on":
		return true, true
	case "0", "n", "no", "false", "off":
		return false, true
	}
	p.problem(field, prm, "expects no value or one of 1, 0, yes, no, true, false")
	return false, false
}

// integer reads a whole number argument.
func (p *argParser) integer(field string, prm cmdline.Param, what string) (int, bool) {
	if !p.needValue(field, prm, what) {
		return 0, false
	}
	n, err := strconv.Atoi(prm.Value)
	if err != nil {
		p.problem(field, prm, "expects %s (a whole number)", what)
		return 0, false
	}
	return n, true
}

// str returns a handler for a single-valued string argument stored as
// given; Validate checks its content. get returns the field to set.
func str(field, want string, get func(*Config) *string) argHandler {
	return func(p *argParser, prm cmdline.Param) {
		if !p.once(field, prm) || !p.needValue(field, prm, want) {
			return
		}
		*get(p.cfg) = prm.Value
		p.origin(field, prm)
	}
}

// flagArg returns a handler for a switch.
func flagArg(field string, get func(*Config) *bool) argHandler {
	return func(p *argParser, prm cmdline.Param) {
		if !p.once(field, prm) {
			return
		}
		if v, ok := p.flag(field, prm); ok {
			*get(p.cfg) = v
			p.origin(field, prm)
		}
	}
}

// intArg returns a handler for a whole-number argument.
func intArg(field, what string, get func(*Config) *int) argHandler {
	return func(p *argParser, prm cmdline.Param) {
		if !p.once(field, prm) {
			return
		}
		if n, ok := p.integer(field, prm, what); ok {
			*get(p.cfg) = n
			p.origin(field, prm)
		}
	}
}

// arg dispatches one parameter.
func (p *argParser) arg(prm cmdline.Param) {
	if prm.Init {
		// After "--" everything belongs to init: pass it on unchanged,
		// but for a secret.
		if event.SecretKey(prm.Key) {
			p.drop(prm, whySecret)
			return
		}
		p.cfg.BootParams = append(p.cfg.BootParams, prm.Raw)
		return
	}
	if h, ok := handlers[canonicalKey(prm.Key)]; ok {
		h(p, prm)
		return
	}
	if strings.HasPrefix(strings.ToLower(prm.Key), "node.") {
		// A typo in a node.* key (or its case) must not silently change an
		// unattended run. The value is not shown: it could even be a secret.
		msg := "unknown argument"
		if s := suggestKey(prm.Key); s != "" {
			msg += "; did you mean " + s + "?"
		} else {
			msg += " (see docs/kernel-arguments.md for the node.* arguments)"
		}
		p.probs = append(p.probs, Problem{Field: "", Arg: prm.Key, Msg: msg})
		return
	}
	if why, ok := refusedArgs[prm.Key]; ok {
		p.problem("storage", prm, "%s", why)
		return
	}
	if why := dropReason(prm); why != "" {
		p.drop(prm, why)
		return
	}
	p.cfg.BootParams = append(p.cfg.BootParams, prm.Raw)
}

// suggestKey returns the known node.* key closest to a mistyped one.
func suggestKey(key string) string {
	best, bestD := "", 3
	for k := range handlers {
		if !strings.HasPrefix(k, "node.") {
			continue
		}
		d := editDistance(strings.ToLower(key), k)
		if d < bestD || (d == bestD && k < best) {
			best, bestD = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance (keys are short ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// actionOf maps an action argument (and its aliases) to its action.
var actionOf = map[string]Action{
	"install":       ActionInteractive,
	"storage_init":  ActionInstall,
	"reinstall":     ActionReinstall,
	"firstboot":     ActionReinstall,
	"upgrade":       ActionUpgrade,
	"local_boot":    ActionUpgrade,
	"ovirt_upgrade": ActionUpgrade,
	"uninstall":     ActionUninstall,

	"ovirt_firstboot":  ActionReinstall,
	"ovirt_local_boot": ActionUpgrade,
}

// action records an action argument; finish resolves them together.
func (p *argParser) action(prm cmdline.Param) {
	// reinstall=0 and the like: not asked for.
	if v, ok := p.flag("action", prm); ok && v {
		p.actions = append(p.actions, prm)
	}
}

// resolveActions applies the action arguments. storage_init names the
// disks of reinstall, upgrade and uninstall too, so it combines with
// them; any other two different actions conflict.
func (p *argParser) resolveActions() {
	var verb *cmdline.Param
	init := false
	for i := range p.actions {
		a := p.actions[i]
		if canonicalKey(a.Key) == "storage_init" {
			init = true
			continue
		}
		if verb == nil {
			verb = &p.actions[i]
			continue
		}
		if actionOf[verb.Key] != actionOf[a.Key] {
			p.problem("action", a, "conflicts with %s: give at most one action", verb.Key)
			return
		}
	}
	switch {
	case verb == nil && !init:
		return
	case verb == nil:
		p.cfg.Action = ActionInstall
		p.origin("action", p.seen["storage_init"])
		return
	}
	act := actionOf[verb.Key]
	if init && act == ActionInteractive {
		p.problem("action", *verb, "conflicts with storage_init (an unattended install): give at most one action")
		return
	}
	p.cfg.Action = act
	p.cfg.ForceInstall = act == ActionInteractive
	p.origin("action", *verb)
}

// finish resolves the arguments that combine.
func (p *argParser) finish() {
	p.resolveActions()
	p.resolveIPs()
	p.resolveManagementPort()
}

// finiteFloat parses a float that JSON can carry.
func finiteFloat(s string) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err == nil && (math.IsNaN(f) || math.IsInf(f, 0)) {
		err = fmt.Errorf("not a finite number")
	}
	return f, err
}
