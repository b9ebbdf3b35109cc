package installer

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"
)

// sshKeyTypes are the OpenSSH public key types sshd accepts.
var sshKeyTypes = map[string]bool{
	"ssh-ed25519": true, "ssh-rsa": true, "ecdsa-sha2-nistp256": true, "ecdsa-sha2-nistp384": true,
	"ecdsa-sha2-nistp521": true, "sk-ssh-ed25519@openssh.com": true, "sk-ecdsa-sha2-nistp256@openssh.com": true,
}

// CheckSSHKey checks one authorized_keys line without options: TYPE BASE64
// [COMMENT], the blob's own type name matching TYPE, as sshd reads it.
func CheckSSHKey(line string) error {
	f := strings.Fields(line)
	if len(f) < 2 {
		return fmt.Errorf("expects an OpenSSH public key: TYPE BASE64 [COMMENT]")
	}
	if !sshKeyTypes[f[0]] {
		return fmt.Errorf("key type %q: expects ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256/384/521 or an sk- key", f[0])
	}
	blob, err := base64.StdEncoding.DecodeString(f[1])
	if err != nil || len(blob) < 4 {
		return fmt.Errorf("%s key: the key data is not base64", f[0])
	}
	n := binary.BigEndian.Uint32(blob)
	if uint64(n)+4 > uint64(len(blob)) || string(blob[4:4+n]) != f[0] {
		return fmt.Errorf("%s key: the key data is not a %s key (truncated or another type)", f[0], f[0])
	}
	if strings.ContainsAny(line, "\r\n") {
		return fmt.Errorf("one key per line")
	}
	return nil
}
