// Package errconv holds the test that enforces the error convention of
// the library packages: every message begins with its package's name
// ("arrowio: samples.arrows: column x: …"), as in the standard library
// and gonum, once, where the message is made. It has no code.
package errconv
