package outfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// A committed file appears whole under its name with the mode of a new
// file (or of the file it replaces); an aborted or removed one leaves
// nothing; special files are written in place.
func TestCreateCommitAbort(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	f, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("hello"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatal("the output exists before Commit")
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "hello" {
		t.Fatalf("committed: %q, %v", b, err)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != OutputMode(filepath.Join(dir, "new"), 0o666) {
		t.Errorf("mode %v, want %v", fi.Mode().Perm(), OutputMode(filepath.Join(dir, "new"), 0o666))
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, []byte("again"), 0o666); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("a replaced file's mode %v, want 0600 kept", fi.Mode().Perm())
	}

	g, err := Create(filepath.Join(dir, "aborted.txt"))
	if err != nil {
		t.Fatal(err)
	}
	g.Abort()
	h, err := Create(filepath.Join(dir, "removed.txt"))
	if err != nil {
		t.Fatal(err)
	}
	RemovePartial()
	h.Abort()
	left, _ := filepath.Glob(filepath.Join(dir, "*"))
	hidden, _ := filepath.Glob(filepath.Join(dir, ".*"))
	if len(left) != 1 || len(hidden) != 0 {
		t.Fatalf("left %v %v, want only out.txt", left, hidden)
	}
	if err := WriteFile(os.DevNull, []byte("x"), 0o666); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(os.DevNull); err != nil || fi.Mode().IsRegular() {
		t.Fatal("/dev/null was replaced")
	}
	if _, err := Create(dir); err == nil {
		t.Fatal("Create of a directory succeeded")
	}
}

// The first Interrupt wins; ResetInterrupt clears it.
func TestInterrupt(t *testing.T) {
	defer ResetInterrupt()
	if Interrupted() != nil {
		t.Fatal("interrupted at start")
	}
	first := errors.New("first")
	Interrupt(first)
	Interrupt(errors.New("second"))
	if Interrupted() != first {
		t.Fatalf("Interrupted() = %v", Interrupted())
	}
	ResetInterrupt()
	Interrupt(nil)
	if Interrupted() == nil || Interrupted().Error() != "outfile: interrupted" {
		t.Fatalf("Interrupt(nil): %v", Interrupted())
	}
}

func TestName(t *testing.T) {
	if Name("-", "stdin") != "stdin" || Name("", "stdout") != "stdout" || Name("a.arrows", "stdin") != "a.arrows" || !IsStd("-") || IsStd("x") {
		t.Fatal("Name or IsStd")
	}
}
