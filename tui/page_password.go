package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/rivo/tview"

	"node-installer/internal/passwd"
)

// password is the Admin password page: typed twice, never shown.
type password struct {
	*tview.Flex
	form  *tview.Form
	pw1   *tview.InputField
	pw2   *tview.InputField
	hint  *tview.TextView
	ready bool
}

func newPassword(a *App) *password {
	p := &password{Flex: tview.NewFlex().SetDirection(tview.FlexRow), form: newForm(), hint: newText()}
	p.pw1 = tview.NewInputField().SetLabel("Admin password:  ").SetFieldWidth(32).SetMaskCharacter('*')
	p.pw2 = tview.NewInputField().SetLabel("Once more:       ").SetFieldWidth(32).SetMaskCharacter('*')
	for _, f := range []*tview.InputField{p.pw1, p.pw2} {
		f.SetFieldStyle(fieldStyle())
		f.SetChangedFunc(func(string) { p.showHint(a) })
		p.form.AddFormItem(f)
	}
	p.form.AddButton("Back", a.back).AddButton("Next", a.next)
	p.form.SetCancelFunc(a.confirmQuit)
	boxed(p.form.Box, "Password of the admin account (console, SSH, web)")
	boxed(p.hint.Box, "Strength")
	p.AddItem(p.form, 6, 0, true).AddItem(p.hint, 0, 1, false)
	return p
}

func (p *password) title() string         { return "Admin password" }
func (p *password) root() tview.Primitive { return p }
func (p *password) keys() []action {
	return []action{actTab, actBack, actNext, actShell, actQuit}
}

func (p *password) enter(a *App) {
	p.ready = false
	p.pw1.SetText(a.fd.Password)
	p.pw2.SetText(a.fd.Password2)
	p.ready = true
	p.showHint(a)
}

func (p *password) store(a *App) {
	a.fd.Password, a.fd.Password2 = p.pw1.GetText(), p.pw2.GetText()
}

func (p *password) showHint(a *App) {
	if !p.ready {
		return
	}
	p.store(a)
	var b strings.Builder
	if a.fd.PresetHash != "" && a.fd.Password == "" {
		b.WriteString("A password hash was given on the kernel command line or in the answer file.\nLeave both fields empty to keep it.\n\n")
	}
	if a.fd.Password != "" {
		msg, ok := passwordStrength(a.fd.Password)
		col := "green"
		if !ok {
			col = "red"
		}
		fmt.Fprintf(&b, "[%s]%s[-]\n", col, msg)
	}
	if a.fd.Password2 != "" && a.fd.Password2 != a.fd.Password {
		b.WriteString("[red]The two passwords differ.[-]\n")
	}
	b.WriteString("\nAt least 8 characters, with at least 3 of: lower case, upper case, digits, other characters. The password is stored only as a SHA-512 crypt hash.")
	p.hint.SetText(b.String())
}

func (p *password) validate(a *App) []FieldError {
	return validatePassword(a.fd.Password, a.fd.Password2, a.fd.PresetHash != "")
}

// validatePassword checks the two entries; keep says an empty pair keeps a preset hash.
func validatePassword(pw1, pw2 string, keep bool) []FieldError {
	if pw1 == "" && pw2 == "" {
		if keep {
			return nil
		}
		return []FieldError{{"Password", "type the admin password twice"}}
	}
	// The strength first: "too short" is what to fix even when the
	// second entry differs too.
	var errs []FieldError
	if msg, ok := passwordStrength(pw1); !ok {
		errs = append(errs, FieldError{"Password", msg})
	}
	if pw1 != pw2 {
		errs = append(errs, FieldError{"Password", "the two passwords differ"})
	}
	return errs
}

// passwordStrength judges pw (the one rule: internal/passwd).
func passwordStrength(pw string) (string, bool) { return passwd.Strength(pw) }

// HashPassword returns the SHA-512 crypt ($6$) hash of pw (internal/passwd).
func HashPassword(pw string) (string, error) { return passwd.Hash(pw) }

// CheckPassword reports whether pw matches the crypt hash (internal/passwd).
func CheckPassword(pw, hash string) (bool, error) { return passwd.Check(pw, hash) }

// currentPassword asks for the installed admin password before an
// upgrade-type action (Upgrade, Downgrade, Repair, Uninstall).
type currentPassword struct {
	*tview.Flex
	form *tview.Form
	pw   *tview.InputField
	info *tview.TextView
	// wrong counts the wrong passwords; from the third on, each one
	// makes the next attempt wait (lockedUntil), doubling up to
	// maxPasswordWait, as a login prompt does.
	wrong       int
	lockedUntil time.Time
	now         func() time.Time
}

const (
	freePasswordTries = 3
	firstPasswordWait = 5 * time.Second
	maxPasswordWait   = 5 * time.Minute
)

func newCurrentPassword(a *App) *currentPassword {
	p := &currentPassword{Flex: tview.NewFlex().SetDirection(tview.FlexRow), form: newForm(), info: newText(), now: time.Now}
	p.pw = tview.NewInputField().SetLabel("Current admin password: ").SetFieldWidth(32).SetMaskCharacter('*')
	p.pw.SetFieldStyle(fieldStyle())
	p.form.AddFormItem(p.pw).AddButton("Back", a.back).AddButton("Next", a.next)
	p.form.SetCancelFunc(a.confirmQuit)
	boxed(p.info.Box, "Installed node")
	boxed(p.form.Box, "Prove you administer this node")
	p.AddItem(p.info, 6, 0, false).AddItem(p.form, 5, 0, true).AddItem(tview.NewBox().SetBackgroundColor(colBG), 0, 1, false)
	return p
}

func (p *currentPassword) title() string         { return "Current password" }
func (p *currentPassword) root() tview.Primitive { return p }

// No shell here: this page is where the admin proves to know the
// node's password, and a shell would step around it.
func (p *currentPassword) keys() []action {
	return []action{actBack, actNext, actQuit}
}

func (p *currentPassword) enter(a *App) {
	p.pw.SetText(a.fd.Current)
	inst := detect(a.opts.Facts.Disks)
	if len(inst) == 0 {
		p.info.SetText("No installation found.")
		return
	}
	f := inst[0]
	if f.NotFinished {
		p.info.SetText(fmt.Sprintf("The %s on %s (%s) did not finish.\nIf it never set an admin password, leave the field empty and press Next.",
			tview.Escape(orDefault(f.Disk.Installation.Product, "node")), f.Disk.Name, tview.Escape(f.Disk.Path)))
		return
	}
	p.info.SetText(fmt.Sprintf("%s %s on %s (%s).\nType the admin password of this installation to %s it.",
		tview.Escape(orDefault(f.Disk.Installation.Product, "node")), tview.Escape(f.Version), f.Disk.Name, tview.Escape(f.Disk.Path), a.fd.Choice))
}

func (p *currentPassword) store(a *App) { a.fd.Current = p.pw.GetText() }

func (p *currentPassword) validate(a *App) []FieldError {
	inst := detect(a.opts.Facts.Disks)
	if len(inst) == 0 {
		return []FieldError{{"Installation", "no installation of this product was found on the disks"}}
	}
	if a.opts.Backend.AdminHash == nil {
		return []FieldError{{"Password", "cannot read the installed admin password on this machine"}}
	}
	if wait := p.lockedUntil.Sub(p.now()); wait > 0 {
		return []FieldError{{"Password", fmt.Sprintf("%d wrong passwords: wait %d s before the next attempt", p.wrong, int(wait.Seconds()+0.999))}}
	}
	hash, err := a.opts.Backend.AdminHash(inst[0].Disk)
	if inst[0].NotFinished && (err != nil || hash == "") {
		return nil // an install that stopped before it set a password: nothing to prove
	}
	if err != nil {
		return []FieldError{{"Password", fmt.Sprintf("read the installed admin password: %v", err)}}
	}
	ok, err := CheckPassword(a.fd.Current, hash)
	if err != nil {
		return []FieldError{{"Password", err.Error()}}
	}
	if !ok {
		p.wrong++
		msg := "wrong password"
		if p.wrong >= freePasswordTries {
			wait := min(firstPasswordWait<<(p.wrong-freePasswordTries), maxPasswordWait)
			p.lockedUntil = p.now().Add(wait)
			msg += fmt.Sprintf(" (%d in a row: the next attempt waits %d s)", p.wrong, int(wait.Seconds()))
		}
		return []FieldError{{"Password", msg}}
	}
	p.wrong, p.lockedUntil = 0, time.Time{}
	return nil
}
