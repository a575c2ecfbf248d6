package arrowio

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/dualssl/dualssl/pkg/outfile"
)

// writeRows writes n sample rows to path and closes the writer.
func writeRows(path string, n int, opts ...Option) error {
	w, err := Create(path, nil, sampleMeta(), sampleCols, opts...)
	if err != nil {
		return err
	}
	defer w.Abort()
	for i := 0; i < n; i++ {
		if err := w.Append(i, []int8{0, 1, 1}, []float64{1, 2}); err != nil {
			return err
		}
	}
	return w.Close()
}

// leftovers lists the temporary files left in dir.
func leftovers(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, ".*.tmp-*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func isCharDevice(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// A device is written in place: renaming a temporary file over /dev/null
// would replace the device with a plain file.
func TestCreateDevice(t *testing.T) {
	if !isCharDevice(os.DevNull) {
		t.Skip("no /dev/null device")
	}
	if err := writeRows(os.DevNull, 10); err != nil {
		t.Fatal(err)
	}
	if !isCharDevice(os.DevNull) {
		t.Fatal("/dev/null is no longer a device")
	}
	if err := outfile.WriteFile(os.DevNull, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if !isCharDevice("/dev/full") {
		return
	}
	err := writeRows("/dev/full", 10)
	if !errors.Is(err, syscall.ENOSPC) || !strings.HasPrefix(err.Error(), "arrowio: /dev/full: ") {
		t.Fatalf("/dev/full: got %v, want a no-space error naming it", err)
	}
	if strings.Count(err.Error(), "/dev/full") != 1 || strings.ContainsRune(err.Error(), '\n') {
		t.Errorf("message %q: want one line naming /dev/full once", err)
	}
	if err := outfile.WriteFile("/dev/full", []byte("x"), 0o644); !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("outfile.WriteFile(/dev/full): got %v", err)
	}
	if !isCharDevice("/dev/full") {
		t.Fatal("/dev/full is no longer a device")
	}
}

// A named pipe is written in place and read at the other end.
func TestCreateFIFO(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("mkfifo:", err)
	}
	got := make(chan int64, 1)
	go func() {
		r, err := Open(fifo, nil)
		if err != nil {
			got <- -1
			return
		}
		defer r.Close()
		for r.Next() {
		}
		if r.Err() != nil {
			got <- -2
			return
		}
		got <- r.Rows()
	}()
	if err := writeRows(fifo, 7); err != nil {
		t.Fatal(err)
	}
	if n := <-got; n != 7 {
		t.Fatalf("read %d rows through the pipe, want 7", n)
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("the pipe was replaced: %v %v", fi.Mode(), err)
	}
	if l := leftovers(t, dir); len(l) > 0 {
		t.Fatalf("left %v", l)
	}
}

// A link to a regular file stays a link; the file it names is replaced.
func TestCreateSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real.arrows")
	link := filepath.Join(dir, "link.arrows")
	if err := os.WriteFile(target, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real.arrows", link); err != nil {
		t.Skip(err)
	}
	if err := writeRows(link, 3); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatal("the link was replaced by a file")
	}
	r, err := Open(target, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for r.Next() {
	}
	if r.Err() != nil || r.Rows() != 3 {
		t.Fatalf("target: %d rows, %v", r.Rows(), r.Err())
	}
}

// Outputs that cannot be created fail at Create with one line naming the
// path, and leave nothing behind.
func TestCreateUnwritable(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o644)
	for path, want := range map[string]string{
		filepath.Join(file, "x.arrows"):      "not a directory",
		filepath.Join(dir, "no", "x.arrows"): "no such file or directory",
		dir:                                  "is a directory",
	} {
		err := writeRows(path, 1)
		if err == nil || !strings.HasPrefix(err.Error(), "outfile: "+path+": ") || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", path, err, want)
		}
	}
	if l := leftovers(t, dir); len(l) > 0 {
		t.Fatalf("left %v", l)
	}
}

// After Interrupt, readers and writers stop at the next batch with the
// interrupt error; a writer told to KeepOnInterrupt still completes; an
// aborted output leaves no file; RemovePartial removes live temporaries.
func TestInterrupt(t *testing.T) {
	defer outfile.ResetInterrupt()
	dir := t.TempDir()
	stream := writeSamples(t, memory.DefaultAllocator, 20, 5)
	r, err := OpenReader(bytes.NewReader(stream), "in")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if !r.Next() {
		t.Fatal(r.Err())
	}
	stop := errors.New("interrupted")
	outfile.Interrupt(stop)
	outfile.Interrupt(errors.New("second")) // the first one stays
	if r.Next() {
		t.Fatal("Next after Interrupt")
	}
	if !errors.Is(r.Err(), stop) || r.Err().Error() != fmt.Sprintf("arrowio: in: interrupted after %d rows", r.Rows()) {
		t.Fatalf("reader: %v", r.Err())
	}

	out := filepath.Join(dir, "o.arrows")
	err = writeRows(out, 10, WithBatchRows(4))
	if !errors.Is(err, stop) || err.Error() != "arrowio: "+out+": interrupted after 0 rows" {
		t.Fatalf("writer: %v", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatal("an interrupted output exists")
	}

	w, err := Create(out, nil, sampleMeta(), sampleCols, WithBatchRows(4))
	if err != nil {
		t.Fatal(err)
	}
	w.KeepOnInterrupt()
	for i := 0; i < 10; i++ {
		w.Append(i, []int8{0, 1, 1}, []float64{1, 2})
	}
	if err := w.Close(); err != nil {
		t.Fatalf("kept writer: %v", err)
	}

	w, err = Create(filepath.Join(dir, "p.arrows"), nil, sampleMeta(), sampleCols)
	if err != nil {
		t.Fatal(err)
	}
	if len(leftovers(t, dir)) != 1 {
		t.Fatal("no temporary file while writing")
	}
	outfile.RemovePartial()
	if l := leftovers(t, dir); len(l) > 0 {
		t.Fatalf("RemovePartial left %v", l)
	}
	w.Abort()
}
