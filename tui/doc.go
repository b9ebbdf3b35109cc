// Package tui is the interactive installer on the console: a sequence of
// pages (tview) that edit a copy of installer.Config, show the plan before
// anything is written, and then follow the engine's event stream.
//
// The package never touches a disk, a process or a network link itself:
// everything that does is a function of Backend, wired by the command
// (real machine) or by the demo (image files) and by the tests.
//
// Pages are small structs (one file each) implementing page; the pure
// conversion between what the admin typed (FormData) and Config lives in
// form.go and is tested on its own.
package tui
