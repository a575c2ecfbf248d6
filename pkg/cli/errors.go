package cli

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
)

// UsageError is a mistake in the command line: an unknown flag, a value
// that does not parse or is out of range. Main exits 2 on it.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Usagef returns a UsageError with a formatted message, e.g.
// Usagef("--depth %d: must be at least 1", d).
func Usagef(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// Exit codes of every tool.
const (
	ExitOK    = 0 // success, or a quiet stop on a broken pipe downstream
	ExitData  = 1 // runtime or data error
	ExitUsage = 2 // usage error
)

// IsBrokenPipe reports whether err comes from writing to a pipe whose
// reader has gone (the stage downstream stopped early).
func IsBrokenPipe(err error) bool { return errors.Is(err, syscall.EPIPE) }

// ExitCode maps an error to an exit code.
func ExitCode(err error) int {
	var ue *UsageError
	var ie *InterruptError
	switch {
	case err == nil, IsBrokenPipe(err):
		return ExitOK
	case errors.As(err, &ie):
		return exitSignal(ie.Signal)
	case errors.As(err, &ue):
		return ExitUsage
	}
	return ExitData
}

// oneLine folds an error message to one line for stderr; what a file put
// in it (a kind, a column name) cannot act on the terminal (Printable).
func oneLine(msg string) string {
	msg = strings.TrimSpace(msg)
	return Printable(strings.Join(strings.Fields(strings.ReplaceAll(msg, "\n", " ")), " "))
}
