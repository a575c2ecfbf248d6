//go:build !unix

package outfile

import "io/fs"

// readUmask: systems without a umask get the usual 022.
func readUmask() fs.FileMode { return 0o022 }
