package installer

import (
	"bytes"

	"node-installer/installer/media"
)

// CheckAnswerFile reads the answer file at path as the live installer
// will (size bound, YAML, keys and types), for tools that put one on
// boot media: a file the installer would refuse is refused before it is
// embedded. Values that depend on the machine (disks, interfaces) are
// judged only at install time.
func CheckAnswerFile(path string) Problems {
	data, err := media.ReadSmall(path, answerMax)
	if err != nil {
		return Problems{{Arg: path, Msg: err.Error()}}
	}
	cfg := Defaults()
	return LoadAnswerFile(bytes.NewReader(data), &cfg)
}
