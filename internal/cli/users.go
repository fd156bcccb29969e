package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/trademon/trademon/internal/auth"
	"github.com/trademon/trademon/targets"
)

// readUsersFile reads and validates the users file the config names; nil users when
// the config names none (nobody can log in or write). Departments are checked against
// the tasks.
func readUsersFile(path string, tasks []targets.Task) (*auth.Users, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot read users file: %w", path, errors.Unwrap(err))
	}
	return auth.ParseUsers(path, data, auth.ParseOptions{Departments: departments(tasks)})
}

// departments returns every lead and supporting department of the tasks, sorted.
func departments(tasks []targets.Task) []string {
	var out []string
	for _, t := range tasks {
		for _, d := range append(slices.Clone(t.Lead), t.Supporting...) {
			if !slices.Contains(out, d) {
				out = append(out, d)
			}
		}
	}
	slices.Sort(out)
	return out
}

// checkUsers is check-config's look at the users file.
func checkUsers(rep *configReport, path, tasksPath string) {
	tasks, _, err := readTasksFile(tasksPath)
	if err != nil {
		tasks = nil // reported by checkTasks; check the departments against nothing
	}
	us, err := readUsersFile(path, tasks)
	switch {
	case err != nil:
		rep.problem(err)
	case us == nil:
		rep.summary = append(rep.summary, "users       none: nobody can log in or write (see README, \"For statistics staff\")")
	default:
		n := map[auth.Role]int{}
		for _, u := range us.List() {
			n[u.Role]++
		}
		rep.summary = append(rep.summary, fmt.Sprintf("users       %d in %s: %d admin, %d approver, %d editor, %d viewer",
			us.Len(), path, n[auth.Admin], n[auth.Approver], n[auth.Editor], n[auth.Viewer]))
	}
}

func (a *app) hashPasswordCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "hash-password",
		Short: "Read a password on stdin and print its bcrypt hash for the users file",
		Long: `Read a password on standard input and print its bcrypt hash (cost 12), the
password_hash of a user in the users file. On a terminal the password is asked for
twice and not echoed; otherwise the first line of stdin is the password:

  trademon hash-password
  printf '%s\n' "$PASSWORD" | trademon hash-password

The password is never printed or logged. It needs at least 10 characters and at most
72 bytes (bcrypt ignores the rest).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			pw, err := readPassword(cmd.InOrStdin(), a.stderr)
			if err != nil {
				return err
			}
			h, err := auth.HashPassword(pw)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(a.stdout, h)
			return err
		},
	}
}

// readPassword reads the password from a terminal without echo (twice), or the
// first line of a pipe.
func readPassword(in io.Reader, prompt io.Writer) (string, error) {
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(prompt, "Password: ")
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(prompt)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(prompt, "Again: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(prompt)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(a) != string(b) {
			return "", errors.New("the two passwords differ")
		}
		return string(a), nil
	}
	line, err := bufio.NewReader(io.LimitReader(in, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password on stdin: type it, or pipe it in (printf '%s\\n' \"$PASSWORD\" | trademon hash-password)")
	}
	return line, nil
}

func (a *app) tokenCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "token NAME",
		Short: "Print a new API token for user NAME once, and the hashed line for the users file",
		Long: `Make a new random API token for the user NAME. The token is printed once, on
stdout, and stored nowhere: give it to the user (scripts send it as
"Authorization: Bearer TOKEN", the CLI reads it from TRADEMON_TOKEN). Add the printed
sha256: line to the user's tokens in the users file and restart serve (or reload the
config); remove the line to revoke the token.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := strings.TrimSpace(args[0])
			if err := auth.ValidName(name); err != nil {
				return err
			}
			token, hash, err := auth.NewToken()
			if err != nil {
				return err
			}
			if cfg, err := a.loadConfig(); err == nil && cfg.Users != "" {
				if us, err := readUsersFile(cfg.Users, nil); err == nil {
					if _, ok := us.Lookup(name); !ok {
						fmt.Fprintf(a.stderr, "trademon: note: %s has no user %q yet; add one with this token\n", cfg.Users, name)
					}
				}
			}
			_, err = fmt.Fprintf(a.stdout, "%s\n\n# Add to the tokens of user %s in the users file (this token is shown only now):\n#   tokens: [\"%s\"]\n", token, name, hash)
			return err
		},
	}
}
