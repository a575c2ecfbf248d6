package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"

	ucli "github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/dualssl/dualssl/pkg/arrowio"
	"github.com/dualssl/dualssl/pkg/outfile"
)

// ProfileEnv names the directory where, when set, every tool writes a CPU
// profile of its run as <tool>.<pid>.pprof (for `go tool pprof`): the way
// to see where a stage inside a pipe spends its time.
const ProfileEnv = "DUALSSL_PPROF_DIR"

// profileCPU starts the CPU profile ProfileEnv asks for and returns what
// stops it; a profile that cannot start is reported and skipped.
func profileCPU(app *ucli.App) func() {
	dir := os.Getenv(ProfileEnv)
	if dir == "" {
		return func() {}
	}
	f, err := os.Create(filepath.Join(dir, fmt.Sprintf("%s.%d.pprof", app.Name, os.Getpid())))
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintf(app.ErrWriter, "%s: %s: no CPU profile: %v\n", app.Name, ProfileEnv, err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// Version is the toolkit version written into provenance; set at build
// time with -ldflags "-X github.com/dualssl/dualssl/pkg/cli.Version=…".
var Version = "0.1.0-dev"

// EnvPrefix prefixes the environment variable of every flag: --seed is
// also DUALSSL_SEED, --delta-lower DUALSSL_DELTA_LOWER.
const EnvPrefix = "DUALSSL_"

// Tool describes one command-line tool.
type Tool struct {
	Name  string // binary name, e.g. "hltm-gen"
	Usage string // one line: what the stage does
	// Description: what the stage reads and writes and one worked pipeline
	// example; shown by --help.
	Description string
	// Flags are the tool's own flags (urfave/cli v2 types). Every flag gets
	// an environment variable DUALSSL_<NAME> unless it declares EnvVars.
	Flags []ucli.Flag
	// Input adds --in (stdin by default); Output adds --out (stdout by
	// default); Seed adds --seed; Threads adds --threads.
	Input, Output, Seed, Threads bool
	// Int8 adds --int8, for the tools that write hltm-samples or views:
	// their 0/1 columns as fixed_size_list<int8> (format 2.0) instead of
	// bit-packed fixed_size_list<bool> (format 3.0); see Env.Binary.
	Int8 bool
	// Docs names the documentation that explains what the tool computes,
	// e.g. "docs/theory.md §8 (the probe and its ceiling)"; --help ends
	// with it (see DocsLine).
	Docs string
	// Args is the usage text of positional arguments; a tool without it
	// refuses positional arguments.
	Args string
	// NoConfig names flags left out of dualssl.config because they do not
	// change the output (paths, verbosity); --in, --out, --threads and
	// --quiet are always left out. File flags (IsFileFlag) get no
	// environment variable: variables are for parameters only.
	NoConfig []string
	// Action does the work. Return Usagef(…) for a usage error; any other
	// error exits 1.
	Action func(*Env) error
}

// Shared flag names.
const (
	FlagIn      = "in"
	FlagOut     = "out"
	FlagSeed    = "seed"
	FlagThreads = "threads"
	FlagQuiet   = "quiet"
	FlagInt8    = "int8"
)

// NewApp builds the urfave/cli app of a tool with the shared flags and
// conventions. Requested help (--help, -h or a lone `help` argument) goes to
// stdout, so that `tool --help | grep lr` works; errors go to stderr.
func NewApp(t Tool) *ucli.App {
	var flags []ucli.Flag
	if t.Input {
		flags = append(flags, InputFile(&ucli.StringFlag{Name: FlagIn, Aliases: []string{"i"}, Value: "-", Usage: "read input from `FILE` (- = stdin; .arrows stream or .arrow file)"}))
	}
	if t.Output {
		flags = append(flags, OutputFile(&ucli.StringFlag{Name: FlagOut, Aliases: []string{"o"}, Value: "-", Usage: "write output to `FILE` atomically (- = stdout; a .arrow name gets the IPC file format)"}))
	}
	if t.Seed {
		flags = append(flags, &ucli.Uint64Flag{Name: FlagSeed, Value: 1, Usage: "random `SEED`: the same seed and inputs give byte-identical output"})
	}
	if t.Threads {
		flags = append(flags, &ucli.IntFlag{Name: FlagThreads, Value: 0, Usage: "worker threads `N` (0 = all cores); the output does not depend on it"})
	}
	if t.Int8 {
		flags = append(flags, &ucli.BoolFlag{Name: FlagInt8, Usage: "write the 0/1 columns as fixed_size_list<int8>, a byte per value (format 2.0: for dualssl before 3.0, or numpy without unpacking) instead of bit-packed fixed_size_list<bool> (format 3.0)"})
	}
	flags = append(flags, &ucli.BoolFlag{Name: FlagQuiet, Aliases: []string{"q"}, Usage: "no progress and no summary on stderr"})
	flags = append(flags, t.Flags...)
	noConfig := map[string]bool{FlagIn: true, FlagOut: true, FlagThreads: true, FlagQuiet: true, "help": true, "version": true}
	for _, n := range t.NoConfig {
		noConfig[n] = true
	}
	for _, f := range flags {
		// Parameters only: a path exported for one stage of a pipe
		// (DUALSSL_OUT=x.arrows) must not redirect every other stage.
		if !IsFileFlag(f) {
			addEnv(f)
		}
	}
	app := BaseApp(t.Name, t.Usage, strings.TrimSpace(t.Description)+"\n\n"+EnvLine+"\n\n"+DocsLine(t.Docs), os.Stdin, os.Stdout, os.Stderr)
	app.Flags = flags
	app.ArgsUsage = t.Args
	app.HideHelpCommand = true
	app.Action = func(c *ucli.Context) error {
		if t.Args == "" && c.NArg() > 0 {
			return Usagef("unexpected argument %q (input is read from stdin or --in)", c.Args().First())
		}
		if t.Threads && c.Int(FlagThreads) < 0 {
			return Usagef("--threads %d: must be 0 (all cores) or positive", c.Int(FlagThreads))
		}
		if n := c.Int(FlagThreads); t.Threads && n > 0 && n < runtime.GOMAXPROCS(0) {
			// --threads N holds the Go runtime to N processors as well: in
			// a pipe, idle ones spin looking for work while the stage waits
			// for input (about a tenth of a stage's CPU at --threads 1), and
			// the garbage collector sizes itself by them.
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(n))
		}
		env := &Env{Context: c, Tool: t.Name, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, noConfig: noConfig}
		return t.Action(env)
	}
	return app
}

// BaseApp returns an urfave/cli app with the toolkit's conventions: --help
// on stdout, errors on stderr, usage errors as *UsageError, errors printed
// once by Main. NewApp builds on it; a tool with subcommands (hltm-sweep)
// uses it directly.
func BaseApp(name, usage, description string, stdin io.Reader, stdout, stderr io.Writer) *ucli.App {
	return &ucli.App{
		Name:        name,
		HelpName:    name,
		Usage:       usage,
		Description: strings.TrimSpace(description),
		Version:     Version,
		Reader:      stdin,
		Writer:      stdout,
		ErrWriter:   stderr,
		OnUsageError: func(_ *ucli.Context, err error, _ bool) error {
			return &UsageError{Err: err}
		},
		ExitErrHandler: func(*ucli.Context, error) {},
	}
}

// EnvVars returns the environment variable of flag: DUALSSL_<FLAG>, with
// dashes as underscores.
func EnvVars(flag string) []string {
	return []string{EnvPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))}
}

// SnapshotsEnv is the environment variable of the snapshot-selecting
// --epochs LIST of covop and embed: DUALSSL_EPOCHS is ssl-train's --epochs
// E (a count of epochs to train), and a count exported for training must
// not select the snapshots that a later stage analyses.
var SnapshotsEnv = []string{EnvPrefix + "SNAPSHOTS"}

// EnvLine is the paragraph of every tool's --help about environment
// variables.
const EnvLine = "Environment: every parameter flag can also be set as " + EnvPrefix + "<FLAG> (shown\n" +
	"below), and these are shared by every tool: " + EnvPrefix + "SEED=7 seeds every stage of a pipe.\n" +
	"File flags (--in, --out, --data, --log, …) have no variable, so a path exported for one stage\n" +
	"never redirects another; a flag on the command line wins over its variable."

// DocsLine is the last paragraph of every tool's --help: where the
// documentation is. The docs live in the source tree (docs/ and README.md of
// the module github.com/dualssl/dualssl), since the binaries do not carry them.
func DocsLine(section string) string {
	s := "Documentation (in the dualssl source, github.com/dualssl/dualssl): README.md for\n" +
		"every tool, file kind and convention; docs/theory.md for the formulas"
	if section != "" {
		s += ",\nhere " + section
	}
	return s + "."
}

// addEnv gives a flag the environment variable DUALSSL_<NAME> unless it
// declares EnvVars: every urfave/cli flag type has that field.
func addEnv(f ucli.Flag) {
	v := reflect.ValueOf(f)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return
	}
	if ev := v.Elem().FieldByName("EnvVars"); ev.IsValid() && ev.CanSet() && ev.IsNil() {
		ev.Set(reflect.ValueOf(EnvVars(f.Names()[0])))
	}
}

// Main runs app with args (os.Args) and returns the exit code: 0 ok, 1 data
// or runtime error, 2 usage error. Errors are printed to stderr as one line
// "tool: message" (the tool named once, also where the message comes from a
// package of the same name); a broken pipe downstream ends quietly with 0.
//
// SIGINT and SIGTERM stop the tool at its next record batch (see
// handleSignals): partial named outputs are removed and the exit code is
// 128+signal. A panic is reported as one line "tool: internal error: …"
// with exit 1, after the tool's deferred clean-ups have run.
func Main(app *ucli.App, args []string) (code int) {
	// With SIGPIPE ignored, a write to a closed pipe returns EPIPE instead
	// of killing the process, so the tool can exit cleanly.
	signal.Ignore(syscall.SIGPIPE)
	growPipes()
	defer handleSignals(app.Name, app.ErrWriter)()
	defer func() {
		if p := recover(); p != nil {
			outfile.RemovePartial()
			fmt.Fprintf(app.ErrWriter, "%s: internal error: %s (a bug: please report it with the command line and input)\n", app.Name, oneLine(fmt.Sprint(p)))
			code = ExitData
		}
	}()
	requireFinite(app)
	refuseClobber(app)
	defer profileCPU(app)()
	if len(args) == 2 && args[1] == "help" && len(app.Commands) == 0 {
		// `tool help` asks for the help, as `git help` does, even of a
		// tool that takes a file argument (name a file "help" as ./help).
		args = []string{args[0], "--help"}
	}
	if app.ArgsUsage != "" {
		args = flagsFirst(app, args)
	}
	// One rule for every output of a command: all are renamed into place
	// when it succeeds, none is left when it fails, but for those the tool
	// finished and marked KeepOnInterrupt (ssl-train's good snapshots after
	// an interrupt or a non-finite step).
	outfile.DeferCommits()
	err := app.Run(args)
	if err == nil {
		err = outfile.CommitDeferred(false)
	} else if cerr := outfile.CommitDeferred(true); cerr != nil {
		err = fmt.Errorf("%w; %v", err, cerr)
	}
	code = ExitCode(err)
	var ie *InterruptError
	if err != nil && code != ExitUsage && errors.As(outfile.Interrupted(), &ie) {
		// A run that fails after a signal failed because of it (the stage
		// upstream stopped first, say): exit as interrupted.
		code = exitSignal(ie.Signal)
	}
	if err != nil && !IsBrokenPipe(err) {
		msg := oneLine(err.Error())
		if strings.HasPrefix(msg, "Required flag") || strings.HasPrefix(msg, "Required flags") {
			code = ExitUsage
		}
		if code == ExitUsage {
			msg += fmt.Sprintf(" (see %s --help)", app.Name)
		}
		// A domain package may share the tool's name (augment, probe,
		// covop, embed) and prefix its errors with it: name it once.
		fmt.Fprintf(app.ErrWriter, "%s: %s\n", app.Name, strings.TrimPrefix(msg, app.Name+": "))
	}
	return code
}

// Env is what a tool's action gets: the parsed flags (embedded urfave
// context), the standard streams and helpers for the shared conventions.
type Env struct {
	*ucli.Context
	Tool   string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer

	noConfig map[string]bool
}

// Seed returns --seed.
func (e *Env) Seed() uint64 { return e.Uint64(FlagSeed) }

// Threads returns --threads resolved: 0 means every core the process may use.
func (e *Env) Threads() int {
	if n := e.Int(FlagThreads); n > 0 {
		return n
	}
	return runtime.GOMAXPROCS(0)
}

// Binary returns how the tool stores the 0/1 columns of the hltm-samples
// or views it writes: Bytes under --int8 (Tool.Int8), Bits otherwise.
func (e *Env) Binary() arrowio.Binary {
	if e.Bool(FlagInt8) {
		return arrowio.Bytes
	}
	return arrowio.Bits
}

// Quiet reports --quiet.
func (e *Env) Quiet() bool { return e.Bool(FlagQuiet) }

// Logf prints "tool: message" on stderr unless --quiet.
func (e *Env) Logf(format string, args ...any) {
	if !e.Quiet() {
		fmt.Fprintf(e.Stderr, "%s: %s\n", e.Tool, fmt.Sprintf(format, args...))
	}
}

// Summary prints the final human summary line on stderr unless --quiet.
func (e *Env) Summary(format string, args ...any) { e.Logf(format, args...) }

// Config returns the effective flags as a canonical JSON object (sorted
// keys), leaving out flags that do not change the output. It is what
// dualssl.config and provenance record.
func (e *Env) Config() string {
	m := map[string]any{}
	for _, f := range e.App.Flags {
		name := f.Names()[0]
		if e.noConfig[name] {
			continue
		}
		switch f.(type) {
		case *ucli.StringSliceFlag:
			m[name] = e.StringSlice(name)
		case *ucli.IntSliceFlag:
			m[name] = e.IntSlice(name)
		case *ucli.Float64SliceFlag:
			m[name] = e.Float64Slice(name)
		default:
			m[name] = e.Value(name)
		}
	}
	b, err := json.Marshal(m) // encoding/json sorts map keys
	if err != nil {
		return "{}"
	}
	return string(b)
}

// Open opens --in (stdin by default) and checks its kind (kind "" accepts
// any dualssl file).
func (e *Env) Open(kind arrowio.Kind, opts ...arrowio.Option) (*arrowio.Reader, error) {
	return e.OpenPath(e.String(FlagIn), kind, opts...)
}

// OpenPath opens a dualssl file at path ("-" = stdin) and checks its kind.
func (e *Env) OpenPath(path string, kind arrowio.Kind, opts ...arrowio.Option) (*arrowio.Reader, error) {
	r, err := arrowio.Open(path, e.Stdin, opts...)
	if err != nil {
		return nil, err
	}
	if kind != "" {
		if err := r.Expect(kind, e.Tool); err != nil {
			r.Close()
			return nil, err
		}
	}
	return r, nil
}

// Create starts the tool's output at --out (stdout by default) of the given
// kind and columns. The metadata carries from's model and provenance
// forward (pass arrowio.Meta{Model: …} for a first stage) and appends this
// tool's step with Config. Writing Arrow to a terminal is refused with a
// usage error. Use `defer w.Abort()` and return w.Close().
func (e *Env) Create(from arrowio.Meta, kind arrowio.Kind, cols []arrowio.Column, opts ...arrowio.Option) (*arrowio.Writer, error) {
	return e.CreatePath(e.String(FlagOut), from, kind, cols, opts...)
}

// CreatePath is Create for an explicit path ("-" = stdout).
func (e *Env) CreatePath(path string, from arrowio.Meta, kind arrowio.Kind, cols []arrowio.Column, opts ...arrowio.Option) (*arrowio.Writer, error) {
	if err := e.RefuseTerminal(path); err != nil {
		return nil, err
	}
	meta := from.WithStep(kind, e.Tool, Version, e.Config())
	// Without bit-packed columns (--int8, or a file dualssl-stamp adopts)
	// samples and views are format 2.0, and so the file says, for an older
	// dualssl to read it.
	meta.Format = arrowio.FormatFor(kind, cols)
	return arrowio.Create(path, e.Stdout, meta, cols, opts...)
}

// RefuseTerminal returns a usage error when path is stdout ("-") and
// stdout is a terminal: Arrow data would garble it. A tool that checks its
// outputs before long work calls it early; Create calls it too.
func (e *Env) RefuseTerminal(path string) error {
	return RefuseTerminal(path, e.Stdout)
}

// RefuseTerminal is Env.RefuseTerminal for a tool without an Env
// (hltm-sweep's subcommands).
func RefuseTerminal(path string, stdout io.Writer) error {
	if outfile.IsStd(path) && IsTerminal(stdout) {
		return Usagef("refusing to write Arrow data to a terminal: redirect stdout or pass --out FILE")
	}
	return nil
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// flagsFirst moves positional arguments after the flags, so that
// `dualssl-cat FILE --head 3` works although urfave/cli stops parsing
// flags at the first positional argument. A "--" ends the flags as usual.
func flagsFirst(app *ucli.App, args []string) []string {
	if len(args) < 2 {
		return args
	}
	boolean := map[string]bool{"help": true, "h": true, "version": true, "v": true}
	for _, f := range app.Flags {
		if _, ok := f.(*ucli.BoolFlag); ok {
			for _, n := range f.Names() {
				boolean[n] = true
			}
		}
	}
	flags := []string{args[0]}
	var pos []string
	for i := 1; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			pos = append(pos, args[i+1:]...)
			i = len(args)
		case a == "-" || !strings.HasPrefix(a, "-"):
			pos = append(pos, a)
		default:
			flags = append(flags, a)
			name := strings.TrimLeft(a, "-")
			if !strings.Contains(name, "=") && !boolean[name] && i+1 < len(args) {
				i++
				flags = append(flags, args[i])
			}
		}
	}
	if len(pos) == 0 {
		return flags
	}
	return append(append(flags, "--"), pos...)
}
