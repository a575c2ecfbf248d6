package sweep

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/dualssl/dualssl/pkg/arrowio"
	"github.com/dualssl/dualssl/pkg/cli"
	sw "github.com/dualssl/dualssl/pkg/sweep"
)

// Name is the tool's command name.
const Name = "hltm-sweep"

// Main runs the tool with args (os.Args) and returns its exit status: 0
// ok, 1 runtime or data error, 2 usage error.
func Main(args []string) int {
	return cli.Main(App(os.Stdin, os.Stdout, os.Stderr), args)
}

func usagef(format string, args ...any) error { return cli.Usagef(format, args...) }

func envs(flag string) []string {
	return []string{cli.EnvPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))}
}

// App returns the tool's urfave/cli application.
func App(stdin io.Reader, stdout, stderr io.Writer) *ucli.App {
	var keys []string
	for _, p := range sw.Params {
		keys = append(keys, fmt.Sprintf("  %-12s %-8s default %-8s %s", p.Key, p.Type, p.Default, p.Doc))
	}
	gridHelp := "GRID is a text file, one parameter a line: `key = v1, v2, …` (integers also `a..b`),\n" +
		"`#` starts a comment. Every combination is one run; keys left out take their default.\n" +
		"Parameters:\n" + strings.Join(keys, "\n") + "\n" +
		"Extras (flags appended to a tool's command in every run; words split on blanks and passed\n" +
		"literally, never through a shell: quotes, $, ;, |, & and globs are ordinary characters):\n  " +
		strings.Join(sw.Extras, ", ") + "\n  covop = true|false   run the covop stage (default true)"
	app := &ucli.App{
		Name:     Name,
		HelpName: Name,
		Usage:    "plan parameter sweeps of the dualssl pipeline as a Makefile, and report on them",
		Version:  cli.Version,
		Reader:   stdin,
		// Help goes to stderr; data (a Makefile, a table) to stdout.
		Writer:    stdout,
		ErrWriter: stderr,
		// Errors are printed once, by cli.Main.
		ExitErrHandler: func(*ucli.Context, error) {},
		OnUsageError: func(_ *ucli.Context, err error, _ bool) error {
			return &cli.UsageError{Err: err}
		},
		Description: "Three steps: `hltm-sweep make GRID --out sweep.mk` writes a Makefile with one rule\n" +
			"per run and stage; `make -f sweep.mk -j4` runs the sweep (again: it resumes) and then\n" +
			"`hltm-sweep report`, which gathers every run's probe and covop tables into one Arrow\n" +
			"table and prints mean ± sd over seeds of best |corr| per level.\n\n" + gridHelp + "\n\n" +
			cli.DocsLine(`README.md "Sweeps"`),
		Commands: []*ucli.Command{makeCommand(stdout), reportCommand(stdout), listCommand(stdout)},
		Action: func(c *ucli.Context) error {
			if c.NArg() > 0 {
				return usagef("unknown command %q (commands: make, report, list)", c.Args().First())
			}
			return usagef("name a command: make, report or list (see %s --help)", Name)
		},
	}
	return app
}

// oneGrid checks that the command got exactly one argument, the grid file.
func oneGrid(c *ucli.Context) error {
	for _, a := range c.Args().Slice()[min(1, c.NArg()):] {
		if strings.HasPrefix(a, "-") {
			return usagef("%s: flag %s after the grid file: put flags before GRID", c.Command.Name, a)
		}
	}
	if c.NArg() != 1 {
		return usagef("%s: want one grid file, got %d arguments", c.Command.Name, c.NArg())
	}
	return nil
}

// readGrid reads, parses and expands a grid file.
func readGrid(path string) (*sw.Grid, []sw.Run, error) {
	if path == "" {
		return nil, nil, usagef("no grid file: give one (see %s --help for the format)", Name)
	}
	src, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, nil, fmt.Errorf("%s: %v", path, err)
	}
	g, err := sw.ParseGrid(path, src)
	if err != nil {
		return nil, nil, err
	}
	runs, err := g.Runs()
	if err != nil {
		return nil, nil, err
	}
	return g, runs, nil
}

// writeFileAtomic writes data to path through a temporary file in the same
// directory and a rename, so readers never see a partial file. The file
// keeps the mode of the one it replaces; a new one gets perm less the
// umask.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() && !fi.IsDir() {
		// A device or FIFO (/dev/stdout, /dev/null) is written in place:
		// renaming over it would replace it with a plain file.
		if err := os.WriteFile(path, data, perm); err != nil {
			if pe, ok := err.(*os.PathError); ok {
				err = pe.Err
			}
			return fmt.Errorf("%s: %v", path, err)
		}
		return nil
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), arrowio.OutputMode(path, perm))
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("%s: %v", path, err)
	}
	return nil
}

func makeCommand(stdout io.Writer) *ucli.Command {
	return &ucli.Command{
		Name:      "make",
		Usage:     "write the Makefile of a grid (and a Slurm submit script)",
		ArgsUsage: "GRID",
		Description: "Writes a Makefile with one explicit rule per run and stage, hive-style run\n" +
			"directories ($(RUNS)/depth=5/hid=10/…/seed=1/), bash with -eu -o pipefail and\n" +
			".DELETE_ON_ERROR, and the targets all, runs, run-I, chunk-K and report. Paths in\n" +
			"it are relative to the directory make runs in: run make where you ran this.\n\n" +
			"Example:\n" +
			"  hltm-sweep make --bin bin/ --chunks 8 --out sweep.mk --slurm submit.sh grid.txt\n" +
			"  make -f sweep.mk -j2          # or: bash submit.sh --partition=cpu",
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "out", Aliases: []string{"o"}, Value: "-", Usage: "write the Makefile to `FILE` (- = stdout)", EnvVars: envs("out")},
			&ucli.IntFlag{Name: "chunks", Value: 1, Usage: "spread the runs over `C` chunk-K targets (run i in chunk i mod C)", EnvVars: envs("chunks")},
			&ucli.StringFlag{Name: "runs", Value: "runs", Usage: "default runs `DIR` (make RUNS=… overrides)", EnvVars: envs("runs")},
			&ucli.StringFlag{Name: "bin", Usage: "default tool `PREFIX`, e.g. bin/ (empty: tools from PATH; make BIN=… overrides)", EnvVars: envs("bin")},
			&ucli.StringFlag{Name: "slurm", Usage: "also write a Slurm submit script to `FILE` (job array + dependent report job)", EnvVars: envs("slurm")},
		},
		Action: func(c *ucli.Context) error {
			if err := oneGrid(c); err != nil {
				return err
			}
			if c.Int("chunks") < 1 {
				return usagef("--chunks %d: must be at least 1", c.Int("chunks"))
			}
			out := c.String("out")
			mkName := out
			if out == "-" || out == "" {
				if c.String("slurm") != "" {
					return usagef("--slurm needs --out: the submit script runs make -f on the Makefile's file")
				}
				mkName = "sweep.mk"
			}
			g, runs, err := readGrid(c.Args().First())
			if err != nil {
				return err
			}
			// The command line, rebuilt from what was set, for the Makefile's header.
			cmd := []string{Name, "make"}
			for _, f := range []string{"out", "chunks", "runs", "bin", "slurm"} {
				if c.IsSet(f) {
					cmd = append(cmd, "--"+f, fmt.Sprint(c.Value(f)))
				}
			}
			cmd = append(cmd, c.Args().First())
			opt := sw.MakeOptions{Makefile: mkName, Grid: c.Args().First(), Runs: c.String("runs"), Bin: c.String("bin"),
				Chunks: c.Int("chunks"), Command: strings.Join(cmd, " ")}
			mk, err := sw.Makefile(g, runs, opt)
			if err != nil {
				return cli.Usagef("%v", err)
			}
			var script string
			if c.String("slurm") != "" {
				if script, err = sw.SlurmScript(runs, opt); err != nil {
					return err
				}
			}
			if out == "-" || out == "" {
				if _, err := io.WriteString(stdout, mk); err != nil {
					return err
				}
			} else if err := writeFileAtomic(out, []byte(mk), 0o666); err != nil {
				return err
			}
			if script != "" {
				if err := writeFileAtomic(c.String("slurm"), []byte(script), 0o777); err != nil {
					return err
				}
			}
			chunks := min(opt.Chunks, len(runs))
			fmt.Fprintf(c.App.ErrWriter, "%s: %d runs in %d chunks", Name, len(runs), chunks)
			if out != "-" && out != "" {
				fmt.Fprintf(c.App.ErrWriter, "; run them with: make -f %s -j%d", out, 2)
			}
			fmt.Fprintln(c.App.ErrWriter)
			return nil
		},
	}
}

func listCommand(stdout io.Writer) *ucli.Command {
	return &ucli.Command{
		Name:      "list",
		Usage:     "print the runs of a grid: index, chunk and directory, tab-separated",
		ArgsUsage: "GRID",
		Flags: []ucli.Flag{
			&ucli.IntFlag{Name: "chunks", Value: 1, Usage: "number of chunks `C` (as for make)"},
		},
		Action: func(c *ucli.Context) error {
			if err := oneGrid(c); err != nil {
				return err
			}
			if c.Int("chunks") < 1 {
				return usagef("--chunks %d: must be at least 1", c.Int("chunks"))
			}
			_, runs, err := readGrid(c.Args().First())
			if err != nil {
				return err
			}
			chunks := min(c.Int("chunks"), len(runs))
			var b strings.Builder
			for _, r := range runs {
				fmt.Fprintf(&b, "%d\t%d\t%s\n", r.Index, sw.Chunk(r.Index, chunks), r.Dir)
			}
			_, err = io.WriteString(stdout, b.String())
			return err
		},
	}
}
