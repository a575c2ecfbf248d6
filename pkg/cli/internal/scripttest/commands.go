package scripttest

import (
	"bytes"
	"fmt"
	"os"
	"strconv"

	"github.com/rogpeppe/go-internal/testscript"
)

// Commands are the extra script commands (see the package documentation).
var Commands = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"truncate": func(ts *testscript.TestScript, neg bool, args []string) {
		path, b, n := fileOffset(ts, "truncate", neg, args)
		if n > len(b) {
			ts.Fatalf("truncate: %s has %d bytes, cannot cut to %d", args[0], len(b), n)
		}
		ts.Check(os.WriteFile(path, b[:n], 0o644))
	},
	"flipbyte": func(ts *testscript.TestScript, neg bool, args []string) {
		path, b, n := fileOffset(ts, "flipbyte", neg, args)
		if n >= len(b) {
			ts.Fatalf("flipbyte: %s has %d bytes, no byte %d", args[0], len(b), n)
		}
		b[n] ^= 0xff
		ts.Check(os.WriteFile(path, b, 0o644))
	},
	"replace": func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 3 {
			ts.Fatalf("usage: replace FILE OLD NEW (Go-quoted strings)")
		}
		old, err1 := strconv.Unquote(args[1])
		new, err2 := strconv.Unquote(args[2])
		if err1 != nil || err2 != nil {
			ts.Fatalf("replace: OLD and NEW must be Go-quoted strings")
		}
		path := ts.MkAbs(args[0])
		b, err := os.ReadFile(path)
		ts.Check(err)
		if !bytes.Contains(b, []byte(old)) {
			ts.Fatalf("replace: %s does not contain %q", args[0], old)
		}
		ts.Check(os.WriteFile(path, bytes.ReplaceAll(b, []byte(old), []byte(new)), 0o644))
	},
	"filesize": func(ts *testscript.TestScript, neg bool, args []string) {
		path, n := fileArgs(ts, "filesize", false, args)
		fi, err := os.Stat(path)
		ts.Check(err)
		if (fi.Size() == int64(n)) == neg {
			ts.Fatalf("filesize: %s has %d bytes", args[0], fi.Size())
		}
	},
}

// fileOffset reads FILE of `cmd FILE N` and returns its path, its bytes and
// N as an offset ≥ 0 (a negative N counts from the end).
func fileOffset(ts *testscript.TestScript, cmd string, neg bool, args []string) (string, []byte, int) {
	path, n := fileArgs(ts, cmd, neg, args)
	b, err := os.ReadFile(path)
	ts.Check(err)
	if n < 0 {
		n += len(b)
	}
	if n < 0 {
		ts.Fatalf("%s: %s has %d bytes, no offset %s", cmd, args[0], len(b), args[1])
	}
	return path, b, n
}

func fileArgs(ts *testscript.TestScript, cmd string, neg bool, args []string) (string, int) {
	if neg {
		ts.Fatalf("%s does not support !", cmd)
	}
	if len(args) != 2 {
		ts.Fatalf("usage: %s FILE N", cmd)
	}
	n, err := strconv.Atoi(args[1])
	if err != nil {
		ts.Fatalf("%s: %v", cmd, fmt.Errorf("N: %w", err))
	}
	return ts.MkAbs(args[0]), n
}
