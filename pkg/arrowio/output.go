package arrowio

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
)

// An output file is written through a temporary file in the destination's
// directory and renamed into place when complete, so that a failed or
// interrupted run leaves nothing at the destination. That is only right for
// a regular file: renaming over /dev/null, /dev/full, /dev/stdout or a
// named pipe would replace the device node, the link or the pipe with a
// plain file (and as root it does). Such outputs are opened and written
// directly; their writes cannot be undone anyway.

// outFile is an output being written: a temporary file to rename into
// place, or a special file written in place.
type outFile struct {
	*os.File
	final string // destination
	temp  bool   // File is a temporary file to rename to final
}

// live holds the temporary files of the outputs being written, so that an
// interrupted process can remove them before it exits (RemovePartial).
var live sync.Map // temp path → struct{}

// createOutput opens the output at path (see above). A symbolic link to a
// regular file is followed: the file it names is replaced atomically and
// the link stays.
func createOutput(path string) (*outFile, error) {
	final := path
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		if target, err := filepath.EvalSymlinks(path); err == nil {
			final = target
		}
	}
	if fi, err := os.Stat(final); err == nil && !fi.Mode().IsRegular() {
		if fi.IsDir() {
			return nil, fmt.Errorf("%s: is a directory", path)
		}
		f, err := os.OpenFile(final, os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, unwrapPath(err))
		}
		return &outFile{File: f, final: final}, nil
	}
	dir, base := filepath.Split(final)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, unwrapPath(err))
	}
	live.Store(f.Name(), struct{}{})
	// CreateTemp makes the file private (0600); a finished output gets
	// the mode of the file it replaces, or that of a new file (umask).
	if err := f.Chmod(OutputMode(final, 0o666)); err != nil {
		o := &outFile{File: f, final: final, temp: true}
		o.abort()
		return nil, fmt.Errorf("%s: %w", path, unwrapPath(err))
	}
	return &outFile{File: f, final: final, temp: true}, nil
}

// commit closes the file and renames a temporary file into place; on
// error the temporary file is removed.
func (o *outFile) commit() error {
	err := o.File.Close()
	if !o.temp {
		return err
	}
	tmp := o.File.Name()
	if err == nil {
		err = os.Rename(tmp, o.final)
	}
	if err != nil {
		os.Remove(tmp)
	}
	live.Delete(tmp)
	return unwrapPath(err)
}

// abort closes the file and removes a temporary file.
func (o *outFile) abort() {
	o.File.Close()
	if o.temp {
		os.Remove(o.File.Name())
		live.Delete(o.File.Name())
	}
}

// WriteFileAtomic writes data to path the way Create writes a named output:
// through a temporary file renamed into place (a special file such as
// /dev/null is written directly). On error nothing is left at path.
// Errors name path once.
func WriteFileAtomic(path string, data []byte) error {
	o, err := createOutput(path)
	if err != nil {
		return err
	}
	if _, err := o.Write(data); err != nil {
		o.abort()
		return fmt.Errorf("%s: %w", path, unwrapPath(err))
	}
	if err := o.commit(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// RemovePartial removes the temporary files of every output still being
// written. A process that must exit at once (a second Ctrl-C) calls it so
// that it leaves no partial files behind.
func RemovePartial() {
	live.Range(func(k, _ any) bool {
		os.Remove(k.(string))
		live.Delete(k)
		return true
	})
}

// interrupted holds the error of Interrupt.
var interrupted atomic.Pointer[error]

// Interrupt makes every Reader and Writer stop at its next record batch
// with err (wrapped with the input's or output's name), unless the Writer
// was told to KeepOnInterrupt. The command-line plumbing calls it on
// SIGINT and SIGTERM, so that every tool stops between batches and its
// deferred Abort removes its partial outputs.
func Interrupt(err error) {
	if err == nil {
		err = errors.New("interrupted")
	}
	interrupted.CompareAndSwap(nil, &err)
}

// Interrupted returns the error given to Interrupt, or nil.
func Interrupted() error {
	if p := interrupted.Load(); p != nil {
		return *p
	}
	return nil
}

// resetInterrupt undoes Interrupt (tests).
func resetInterrupt() { interrupted.Store(nil) }

// KeepOnInterrupt lets w write and Close normally after Interrupt: for an
// output whose content so far is worth keeping as a complete file (the
// snapshots of an interrupted training run).
func (w *Writer) KeepOnInterrupt() { w.keep = true }

// KeepOnInterrupt lets nw write and Close normally after Interrupt (see
// Writer.KeepOnInterrupt).
func (nw *NetworkWriter) KeepOnInterrupt() { nw.w.KeepOnInterrupt() }
