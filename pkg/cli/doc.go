// Package cli builds the toolkit's command-line tools.
//
// It is the only package (with its subpackages pkg/cli/<tool>) that imports
// urfave/cli. A tool declares a Tool (name, help text, its own flags and an
// action on an *Env); NewApp adds the shared flags (--in, --out, --seed,
// --threads, --quiet), an environment variable DUALSSL_<FLAG> for every
// flag, and sends all help and messages to stderr so stdout carries data
// only. Main runs the app and maps errors to exit codes: 0 ok, 1 data or
// runtime error, 2 usage error; a broken pipe downstream exits 0 quietly.
//
// A flag whose value names a file is declared where it is defined as
// InputFile(&ucli.StringFlag{…}) or OutputFile(…): every tool then refuses,
// before it runs, an output that is the same file (path, symbolic or hard
// link, or stdout redirected with >) as an input or another output, and
// the flag gets no environment variable.
//
// Signals: on SIGINT or SIGTERM, Main calls outfile.Interrupt, so every
// reader and writer fails at its next record batch, the action returns,
// deferred Aborts remove partial named outputs, and Main exits 128+signal
// (130, 143). A tool computing long between batches checks
// Env.Interrupted; an output worth keeping (ssl-train's snapshots) uses
// Writer.KeepOnInterrupt. A tool that has not stopped after InterruptGrace,
// or a second signal, exits at once after outfile.RemovePartial. A panic
// is reported as one line "tool: internal error: …", exit 1.
//
// A tool's main.go is one line:
//
//	func main() { os.Exit(hltmgen.Main(os.Args)) }
//
// with, in pkg/cli/hltmgencmd,
//
//	func Main(args []string) int { return cli.Main(App(), args) }
package cli
