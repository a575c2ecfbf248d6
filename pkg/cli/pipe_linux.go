//go:build linux

package cli

import (
	"os"

	"golang.org/x/sys/unix"
)

// pipeBytes is the pipe buffer a tool asks for on its stdin and stdout:
// with Linux's default of 64 KiB a stage writing a record batch of a
// megabyte or two (a reference epoch's views come in such batches) blocks,
// and its reader wakes, dozens of times per batch. 1 MiB is the most an
// unprivileged process may ask for (/proc/sys/fs/pipe-max-size).
const pipeBytes = 1 << 20

// growPipes enlarges the pipe buffers of stdin and stdout, when they are
// pipes; best effort: a lower limit or an old kernel leaves the default.
// It goes through SyscallConn, as Fd would turn the files blocking.
func growPipes() {
	for _, f := range []*os.File{os.Stdin, os.Stdout} {
		if fi, err := f.Stat(); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
			continue
		}
		if rc, err := f.SyscallConn(); err == nil {
			rc.Control(func(fd uintptr) { unix.FcntlInt(fd, unix.F_SETPIPE_SZ, pipeBytes) })
		}
	}
}
