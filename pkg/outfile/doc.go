// Package outfile writes output files atomically and stops them on an
// interrupt. It knows nothing of Arrow: pkg/arrowio writes its files
// through it, and so does every tool that writes text or pictures
// (hltm-sweep's Makefile, probe's and report's plots).
//
// An output file is written through a temporary file in the destination's
// directory and renamed into place by Commit, so that a failed or
// interrupted run leaves nothing at the destination; Abort removes it. That
// is only right for a regular file: renaming over /dev/null, /dev/full,
// /dev/stdout or a named pipe would replace the device node, the link or
// the pipe with a plain file (and as root it does). Such outputs are opened
// and written in place; their writes cannot be undone anyway.
//
// Interrupt records that the process got SIGINT or SIGTERM; readers and
// writers check Interrupted at every record batch and stop. RemovePartial
// removes the temporary files of the outputs still being written, for a
// process that must exit at once.
package outfile
