package cli

import (
	"os"
	"path/filepath"
	"strings"

	ucli "github.com/urfave/cli/v2"
)

// fileRole says what a flag's value names.
type fileRole int

const (
	inputFile fileRole = iota + 1
	outputFile
)

// FileFlag is a string flag whose value names a file: one the tool reads,
// or, with Output, one it writes. Every tool refuses, before it runs, an
// output that is the same file as an input or as another output, and a
// file flag gets no environment variable (a path exported for one stage of
// a pipe must not redirect every other stage). Make one with InputFile or
// OutputFile where the flag is declared; a `FILE` flag made otherwise
// fails TestFileFlagsClassified.
type FileFlag struct {
	*ucli.StringFlag
	Output bool // the tool writes the file
}

// InputFile marks f as naming a file the tool reads.
func InputFile(f *ucli.StringFlag) *FileFlag { return &FileFlag{StringFlag: f} }

// OutputFile marks f as naming a file the tool writes.
func OutputFile(f *ucli.StringFlag) *FileFlag { return &FileFlag{StringFlag: f, Output: true} }

// roleOf returns the role of a file flag, 0 for any other flag.
func roleOf(f ucli.Flag) fileRole {
	ff, ok := f.(*FileFlag)
	switch {
	case !ok:
		return 0
	case ff.Output:
		return outputFile
	}
	return inputFile
}

// inPlace lists the input flag and output flag that may name one file: a
// resumed network rewritten in place (it is replaced only when the new
// file is complete).
var inPlace = map[[2]string]bool{{"resume", "out"}: true}

// fileArg is one file named on the command line.
type fileArg struct {
	what string // how messages name it: "--out", "the grid file"
	flag string // the flag's name ("" for an argument or stdout)
	path string
	role fileRole
	fi   os.FileInfo // nil when the file does not exist yet
	abs  string      // absolute path, symbolic links resolved where they exist
}

// refuseClobber makes app and every command under it refuse, with a usage
// error before the tool runs, an output that is the same file (same
// device and inode, or same path) as an input or as another output of the
// same command, and standard output redirected onto an input. Special
// files (/dev/null, FIFOs) are exempt: writing them replaces nothing.
func refuseClobber(app *ucli.App) {
	beforeEach(app, func(c *ucli.Context, flags []ucli.Flag, argsAreInputs bool) error {
		var files []fileArg
		for _, f := range flags {
			name := f.Names()[0]
			role := roleOf(f)
			if role == 0 {
				continue
			}
			if p := c.String(name); p != "" && p != "-" {
				files = append(files, newFileArg("--"+name+" "+p, name, p, role))
			}
		}
		if argsAreInputs {
			for _, a := range c.Args().Slice() {
				if a != "" && a != "-" && !strings.HasPrefix(a, "-") {
					files = append(files, newFileArg(a, "", a, inputFile))
				}
			}
		}
		return checkClobber(files, os.Stdout)
	})
}

func newFileArg(what, flag, path string, role fileRole) fileArg {
	a := fileArg{what: what, flag: flag, path: path, role: role}
	if fi, err := os.Stat(path); err == nil {
		a.fi = fi
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	} else if dir, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		abs = filepath.Join(dir, filepath.Base(abs))
	}
	a.abs = abs
	return a
}

// same reports whether a and b name one regular file (or one path that
// does not exist yet).
func same(a, b fileArg) bool {
	special := func(x fileArg) bool { return x.fi != nil && !x.fi.Mode().IsRegular() }
	if special(a) || special(b) {
		return false
	}
	if a.fi != nil && b.fi != nil {
		return os.SameFile(a.fi, b.fi)
	}
	return a.abs == b.abs
}

// checkClobber returns a UsageError for the first output in files that is
// an input or another output, or when stdout (a regular file) is an input.
func checkClobber(files []fileArg, stdout *os.File) error {
	for i, o := range files {
		if o.role != outputFile {
			continue
		}
		for j, x := range files {
			if j == i || !same(o, x) {
				continue
			}
			switch {
			case x.role == inputFile && !inPlace[[2]string{x.flag, o.flag}]:
				return Usagef("%s is the input %s: writing it would destroy the input; give the output another name", o.what, x.what)
			case x.role == outputFile && j < i:
				return Usagef("%s and %s are one file: each output needs its own", x.what, o.what)
			}
		}
	}
	if stdout != nil {
		if fi, err := stdout.Stat(); err == nil && fi.Mode().IsRegular() {
			for _, x := range files {
				if x.role == inputFile && x.fi != nil && os.SameFile(fi, x.fi) {
					return Usagef("standard output is the input %s: redirect it to another file", x.what)
				}
			}
		}
	}
	return nil
}

// IsFileFlag reports whether f names an input or an output file (a
// FileFlag), so that the command-line plumbing refuses an output that
// would replace an input or another output.
func IsFileFlag(f ucli.Flag) bool { return roleOf(f) != 0 }
