// Package ipccheck checks Arrow IPC bytes before Arrow's Go reader trusts
// them: it frames a stream one message at a time (Framer), checks every
// flatbuffer length, buffer range and count (CheckFile for the IPC file
// format), decodes record batches without a copy (DecodeRecord) and
// validates decoded arrays (ValidArray). A corrupt or hostile input gives
// an error, never a crash or a huge allocation.
//
// It is the hardened half of pkg/arrowio, kept apart so that the file
// model there (metadata, schemas, typed readers and writers) reads
// without the byte-level checks in the way.
package ipccheck
