//go:build unix

// Package cputime reads the process's CPU time, for benchmarks that run on
// a shared machine: a rate per CPU-second says what code costs better than
// one per wall-clock second when other processes take turns on the cores.
package cputime

import "syscall"

// Seconds returns the process's user+system CPU time in seconds (0 where
// the platform cannot say).
func Seconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
