package outfile

import (
	"io/fs"
	"os"
)

// umask is the process's file-mode creation mask, read once at start-up
// (reading it means setting it, which must not race with file creation).
var umask = readUmask()

// OutputMode returns the permission bits an output written to path through
// a temporary file and a rename must get, so that it looks as if open(2)
// had written it in place: the mode of the regular file it replaces, or,
// for a new file, perm (0o666 for data, 0o777 for a script) less the
// process umask. (A temporary file is created 0600 and chmod ignores the
// umask, so the mode has to be computed.)
func OutputMode(path string, perm fs.FileMode) fs.FileMode {
	if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() {
		return fi.Mode().Perm()
	}
	return perm.Perm() &^ umask
}
