package installer

import (
	"fmt"
	"strings"

	"golang.org/x/crypto/ssh"
)

// CheckSSHKey checks one authorized_keys line ([OPTIONS] TYPE BASE64
// [COMMENT]) with the parser sshd's format has in Go: the key data must
// decode as a key of its type.
func CheckSSHKey(line string) error {
	if strings.ContainsAny(line, "\r\n") {
		return fmt.Errorf("one key per line")
	}
	if _, _, _, rest, err := ssh.ParseAuthorizedKey([]byte(line)); err != nil {
		return fmt.Errorf("expects an OpenSSH public key line (TYPE BASE64 [COMMENT]): %v", err)
	} else if len(strings.TrimSpace(string(rest))) > 0 {
		return fmt.Errorf("one key per line")
	}
	return nil
}
