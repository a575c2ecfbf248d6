package cli

import (
	"bytes"
	"fmt"
	"os"
	"syscall"
	"testing"
)

func TestInterruptExitCode(t *testing.T) {
	for _, c := range []struct {
		err  error
		want int
		msg  string
	}{
		{&InterruptError{Signal: os.Interrupt}, 130, "interrupted (SIGINT)"},
		{&InterruptError{Signal: syscall.SIGTERM}, 143, "interrupted (SIGTERM)"},
		{fmt.Errorf("in.arrows: %w after 3 rows", &InterruptError{Signal: os.Interrupt}), 130, "in.arrows: interrupted (SIGINT) after 3 rows"},
	} {
		if got := ExitCode(c.err); got != c.want {
			t.Errorf("ExitCode(%v) = %d, want %d", c.err, got, c.want)
		}
		if !IsInterrupt(c.err) || c.err.Error() != c.msg {
			t.Errorf("%v: IsInterrupt %v, message %q, want %q", c.err, IsInterrupt(c.err), c.err.Error(), c.msg)
		}
	}
	if IsInterrupt(fmt.Errorf("other")) {
		t.Error("IsInterrupt of a plain error")
	}
}

// A panic in an action becomes one line on stderr and exit 1.
func TestMainPanic(t *testing.T) {
	app := NewApp(Tool{Name: "boom", Usage: "panics", Action: func(*Env) error {
		var m map[string]int
		m["x"]++ // a nil-map panic, as a bug would
		return nil
	}})
	var errb bytes.Buffer
	app.ErrWriter = &errb
	code := Main(app, []string{"boom"})
	want := "boom: internal error: assignment to entry in nil map (a bug: please report it with the command line and input)\n"
	if code != ExitData || errb.String() != want {
		t.Fatalf("exit %d, stderr %q; want exit 1, %q", code, errb.String(), want)
	}
}
