//go:build !unix

package cputime

// Seconds returns 0: this platform's CPU time is not read.
func Seconds() float64 { return 0 }
