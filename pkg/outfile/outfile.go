package outfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
)

// File is an output being written: a temporary file to rename into place
// by Commit, or a special file (a device, a FIFO) written in place.
type File struct {
	*os.File
	final string // destination
	temp  bool   // File is a temporary file to rename to final
	kept  bool   // Keep: committed by an interrupted command too
}

// Keep marks o as an output an interrupted command keeps (see
// CommitDeferred).
func (o *File) Keep() { o.kept = true }

// live holds the temporary files of the outputs being written, so that an
// interrupted process can remove them before it exits (RemovePartial).
var live sync.Map // temp path → struct{}

// Create opens the output at path (see the package documentation). A
// symbolic link to a regular file is followed: the file it names is
// replaced atomically and the link stays. Errors name path once.
func Create(path string) (*File, error) {
	final := path
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		if target, err := filepath.EvalSymlinks(path); err == nil {
			final = target
		}
	}
	if fi, err := os.Stat(final); err == nil && !fi.Mode().IsRegular() {
		if fi.IsDir() {
			return nil, fmt.Errorf("outfile: %s: is a directory", path)
		}
		f, err := os.OpenFile(final, os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			return nil, fmt.Errorf("outfile: %s: %w", path, UnwrapPath(err))
		}
		return &File{File: f, final: final}, nil
	}
	dir, base := filepath.Split(final)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("outfile: %s: %w", path, UnwrapPath(err))
	}
	live.Store(f.Name(), struct{}{})
	o := &File{File: f, final: final, temp: true}
	// CreateTemp makes the file private (0600); a finished output gets
	// the mode of the file it replaces, or that of a new file (umask).
	if err := f.Chmod(OutputMode(final, 0o666)); err != nil {
		o.Abort()
		return nil, fmt.Errorf("outfile: %s: %w", path, UnwrapPath(err))
	}
	return o, nil
}

// Commit closes the file and renames a temporary file into place; on
// error the temporary file is removed. The error does not name the file.
func (o *File) Commit() error {
	err := o.File.Close()
	if !o.temp {
		return UnwrapPath(err)
	}
	if err == nil && deferring.Load() {
		// Renamed with the command's other outputs (CommitDeferred).
		pendingMu.Lock()
		pending = append(pending, o)
		pendingMu.Unlock()
		return nil
	}
	return o.rename(err)
}

// rename renames the closed temporary file into place (or removes it when
// err, the error of closing it, is not nil).
func (o *File) rename(err error) error {
	tmp := o.File.Name()
	if err == nil {
		err = os.Rename(tmp, o.final)
	}
	if err != nil {
		os.Remove(tmp)
	}
	live.Delete(tmp)
	return UnwrapPath(err)
}

// Abort closes the file and removes a temporary file.
func (o *File) Abort() {
	o.File.Close()
	if o.temp {
		os.Remove(o.File.Name())
		live.Delete(o.File.Name())
	}
}

// WriteFile writes data to path atomically (see Create): a new file gets
// perm (0o666 for data, 0o777 for a script) less the umask, a replaced
// file keeps its mode, a special file is written in place. On error
// nothing is left at path. Errors name path once.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	o, err := Create(path)
	if err != nil {
		return err
	}
	if o.temp {
		if err := o.Chmod(OutputMode(o.final, perm)); err != nil {
			o.Abort()
			return fmt.Errorf("outfile: %s: %w", path, UnwrapPath(err))
		}
	}
	if _, err := o.Write(data); err != nil {
		o.Abort()
		return fmt.Errorf("outfile: %s: %w", path, UnwrapPath(err))
	}
	if err := o.Commit(); err != nil {
		return fmt.Errorf("outfile: %s: %w", path, err)
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

// UnwrapPath drops the *os.PathError wrapper of err so that a message
// names the path once.
func UnwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// IsStd reports whether path names a standard stream ("" or "-").
func IsStd(path string) bool { return path == "" || path == "-" }

// Name returns how messages name path: "stdin" or "stdout" (stream) for
// a standard stream, else the path itself.
func Name(path, stream string) string {
	if IsStd(path) {
		return stream
	}
	return path
}

// Deferred commits: the outputs of one command are all left behind or none.
var (
	deferring atomic.Bool
	pendingMu sync.Mutex
	pending   []*File
)

// DeferCommits makes Commit of every named output (a temporary file) only
// close it; CommitDeferred then renames them all into place, or
// AbortDeferred removes them all. The command-line plumbing defers the
// commits of each command, so that when any output fails (a full disk for
// the side table, a plot that cannot be rendered) none of the command's
// new outputs is left behind.
func DeferCommits() {
	pendingMu.Lock()
	pending = nil
	pendingMu.Unlock()
	deferring.Store(true)
}

// CommitDeferred renames every output closed since DeferCommits into
// place, in the order they were closed (with keptOnly, only those marked
// Keep, removing the others: a failed or interrupted command keeps only
// what it chose to finish), and ends the deferral. After the first rename that fails it removes
// the rest and returns that error, naming the file.
func CommitDeferred(keptOnly bool) error {
	deferring.Store(false)
	pendingMu.Lock()
	files := pending
	pending = nil
	pendingMu.Unlock()
	var first error
	for _, o := range files {
		if first != nil || (keptOnly && !o.kept) {
			o.drop()
			continue
		}
		if err := o.rename(nil); err != nil {
			first = fmt.Errorf("outfile: %s: %w", o.final, err)
		}
	}
	return first
}

// AbortDeferred removes every output closed since DeferCommits and ends
// the deferral.
func AbortDeferred() {
	deferring.Store(false)
	pendingMu.Lock()
	files := pending
	pending = nil
	pendingMu.Unlock()
	for _, o := range files {
		o.drop()
	}
}

// drop removes a closed temporary file.
func (o *File) drop() {
	os.Remove(o.File.Name())
	live.Delete(o.File.Name())
}
