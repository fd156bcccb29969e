package cli

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/trademon/trademon/internal/auth"
)

// runStdin runs trademon with stdin.
func runStdin(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	a := &app{stdout: &out, stderr: &errOut}
	root := a.rootCmd()
	root.SetArgs(args)
	root.SetIn(strings.NewReader(stdin))
	root.SetOut(&out)
	root.SetErr(&errOut)
	code := 0
	if err := root.ExecuteContext(context.Background()); err != nil {
		fmt.Fprintln(&errOut, "trademon:", err)
		code = 1
	}
	return code, out.String(), errOut.String()
}

func TestHashPasswordCommand(t *testing.T) {
	code, out, errOut := runStdin(t, "a long enough password\n", "hash-password")
	h := strings.TrimSpace(out)
	if code != 0 || bcrypt.CompareHashAndPassword([]byte(h), []byte("a long enough password")) != nil {
		t.Fatalf("hash-password: exit %d %q %s", code, out, errOut)
	}
	if strings.Contains(out+errOut, "a long enough password") {
		t.Error("hash-password printed the password")
	}
	if code, _, errOut := runStdin(t, "short\n", "hash-password"); code == 0 || !strings.Contains(errOut, "the password has 5 characters; use at least 10") {
		t.Errorf("short password: exit %d %s", code, errOut)
	}
	if code, _, errOut := runStdin(t, "", "hash-password"); code == 0 || !strings.Contains(errOut, "no password on stdin") {
		t.Errorf("no password: exit %d %s", code, errOut)
	}
}

func TestTokenCommand(t *testing.T) {
	code, out, _ := run(t, "token", "zhang.wei")
	m := regexp.MustCompile(`^(tmk_[A-Za-z0-9_-]{43})\n\n# Add to the tokens of user zhang.wei in the users file \(this token is shown only now\):\n#   tokens: \["(sha256:[0-9a-f]{64})"\]\n$`).FindStringSubmatch(out)
	if code != 0 || m == nil || auth.HashToken(m[1]) != m[2] {
		t.Fatalf("token: exit %d\n%s", code, out)
	}
	if code, _, errOut := run(t, "token", "not a name"); code != 1 || !strings.Contains(errOut, `invalid login name "not a name"`) {
		t.Errorf("bad name: exit %d %s", code, errOut)
	}
}

func TestCheckConfigUsers(t *testing.T) {
	dir := t.TempDir()
	good := usersFile(t, dir)
	cfg := write(t, dir, "good.yaml", "users: "+good+"\n")
	code, out, errOut := run(t, "--config", cfg, "check-config")
	if code != 0 || !strings.Contains(out, "  users       4 in "+good+": 1 admin, 1 approver, 1 editor, 1 viewer\n") {
		t.Errorf("good users file: exit %d\n%s%s", code, out, errOut)
	}
	bad := write(t, dir, "bad-users.yaml", "users:\n  - name: zhang.wei\n    role: editor\n    password_hash: hunter2\n    departments: [市商物局]\n")
	cfg = write(t, dir, "bad.yaml", "users: "+bad+"\n")
	code, _, errOut = run(t, "--config", cfg, "check-config")
	for _, want := range []string{
		bad + ":4: users[0].password_hash: not a bcrypt hash: make one with `trademon hash-password` (the password on stdin)\n",
		bad + `:5: users[0].departments[0]: unknown department "市商物局": use a lead or supporting department of the tasks file, e.g. `,
		"trademon: config has 2 problems\n",
	} {
		if code != 1 || !strings.Contains(errOut, want) {
			t.Errorf("bad users file: exit %d, stderr lacks %q:\n%s", code, want, errOut)
		}
	}
}
