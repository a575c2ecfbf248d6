package sweepcmd

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/dualssl/dualssl/pkg/cli"
	"github.com/dualssl/dualssl/pkg/outfile"
	"github.com/dualssl/dualssl/pkg/sweep"
)

// Name is the tool's command name.
const Name = "hltm-sweep"

// Main runs the tool with args (os.Args) and returns its exit status: 0
// ok, 1 runtime or data error, 2 usage error.
func Main(args []string) int {
	return cli.Main(App(os.Stdin, os.Stdout, os.Stderr), args)
}

// App returns the tool's urfave/cli application.
func App(stdin io.Reader, stdout, stderr io.Writer) *ucli.App {
	var keys []string
	for _, p := range sweep.Params {
		keys = append(keys, fmt.Sprintf("  %-12s %-8s default %-8s %s", p.Key, p.Type, p.Default, p.Doc))
	}
	gridHelp := "GRID is a text file, one parameter a line: `key = v1, v2, …` (integers also `a..b`),\n" +
		"`#` starts a comment. Every combination is one run; keys left out take their default.\n" +
		"Parameters:\n" + strings.Join(keys, "\n") + "\n" +
		"Extras (flags appended to a tool's command in every run; words split on blanks and passed\n" +
		"literally, never through a shell: quotes, $, ;, |, & and globs are ordinary characters):\n  " +
		strings.Join(sweep.Extras, ", ") + "\n  covop = true|false   run the covop stage (default true)"
	// Help goes to stdout; data (a Makefile, a table) to stdout; messages to stderr.
	app := cli.BaseApp(Name, "plan parameter sweeps of the dualssl pipeline as a Makefile, and report on them",
		"Three steps: `hltm-sweep make GRID --out sweep.mk` writes a Makefile with one rule\n"+
			"per run and stage; `make -f sweep.mk -j4` runs the sweep (again: it resumes) and then\n"+
			"`hltm-sweep report`, which gathers every run's probe and covop tables into one Arrow\n"+
			"table and prints mean ± sd over seeds of best |corr| per level.\n\n"+gridHelp+"\n\n"+
			cli.DocsLine(`README.md "Sweeps"`), stdin, stdout, stderr)
	app.Commands = []*ucli.Command{makeCommand(stdout), reportCommand(stdout), listCommand(stdout)}
	app.Action = func(c *ucli.Context) error {
		if c.NArg() > 0 {
			return cli.Usagef("unknown command %q (commands: make, report, list)", c.Args().First())
		}
		return cli.Usagef("name a command: make, report or list (see %s --help)", Name)
	}
	return app
}

// oneGrid checks that the command got exactly one argument, the grid file.
func oneGrid(c *ucli.Context) error {
	for _, a := range c.Args().Slice()[min(1, c.NArg()):] {
		if strings.HasPrefix(a, "-") {
			return cli.Usagef("%s: flag %s after the grid file: put flags before GRID", c.Command.Name, a)
		}
	}
	if c.NArg() != 1 {
		return cli.Usagef("%s: want one grid file, got %d arguments", c.Command.Name, c.NArg())
	}
	return nil
}

// readGrid reads, parses and expands a grid file.
func readGrid(path string) (*sweep.Grid, []sweep.Run, error) {
	if path == "" {
		return nil, nil, cli.Usagef("no grid file: give one (see %s --help for the format)", Name)
	}
	src, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	g, err := sweep.ParseGrid(path, src)
	if err != nil {
		return nil, nil, err
	}
	runs, err := g.Runs()
	if err != nil {
		return nil, nil, err
	}
	return g, runs, nil
}

// writeFile writes data to path atomically (pkg/outfile), making its
// directory first: a new file gets perm less the umask, a replaced one
// keeps its mode.
func writeFile(path string, data []byte, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
		return err
	}
	return outfile.WriteFile(path, data, perm)
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
			cli.OutputFile(&ucli.StringFlag{Name: "out", Aliases: []string{"o"}, Value: "-", Usage: "write the Makefile to `FILE` (- = stdout)"}),
			&ucli.IntFlag{Name: "chunks", Value: 1, Usage: "spread the runs over `C` chunk-K targets (run i in chunk i mod C)", EnvVars: cli.EnvVars("chunks")},
			&ucli.StringFlag{Name: "runs", Value: "runs", Usage: "default runs `DIR` (make RUNS=… overrides)"},
			&ucli.StringFlag{Name: "bin", Usage: "default tool `PREFIX`, e.g. bin/ (empty: tools from PATH; make BIN=… overrides)", EnvVars: cli.EnvVars("bin")},
			cli.OutputFile(&ucli.StringFlag{Name: "slurm", Usage: "also write a Slurm submit script to `FILE` (job array + dependent report job)"}),
		},
		Action: func(c *ucli.Context) error {
			if err := oneGrid(c); err != nil {
				return err
			}
			if c.Int("chunks") < 1 {
				return cli.Usagef("--chunks %d: must be at least 1", c.Int("chunks"))
			}
			out := c.String("out")
			mkName := out
			if out == "-" || out == "" {
				if c.String("slurm") != "" {
					return cli.Usagef("--slurm needs --out: the submit script runs make -f on the Makefile's file")
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
			opt := sweep.MakeOptions{Makefile: mkName, Grid: c.Args().First(), Runs: c.String("runs"), Bin: c.String("bin"),
				Chunks: c.Int("chunks"), Command: strings.Join(cmd, " ")}
			mk, err := sweep.Makefile(g, runs, opt)
			if err != nil {
				return cli.Usagef("%v", err)
			}
			var script string
			if c.String("slurm") != "" {
				if script, err = sweep.SlurmScript(runs, opt); err != nil {
					return err
				}
			}
			if out == "-" || out == "" {
				if _, err := io.WriteString(stdout, mk); err != nil {
					return err
				}
			} else if err := writeFile(out, []byte(mk), 0o666); err != nil {
				return err
			}
			if script != "" {
				if err := writeFile(c.String("slurm"), []byte(script), 0o777); err != nil {
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
				return cli.Usagef("--chunks %d: must be at least 1", c.Int("chunks"))
			}
			_, runs, err := readGrid(c.Args().First())
			if err != nil {
				return err
			}
			chunks := min(c.Int("chunks"), len(runs))
			var b strings.Builder
			for _, r := range runs {
				fmt.Fprintf(&b, "%d\t%d\t%s\n", r.Index, sweep.Chunk(r.Index, chunks), r.Dir)
			}
			_, err = io.WriteString(stdout, b.String())
			return err
		},
	}
}
