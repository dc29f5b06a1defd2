package examples

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// heraldBin is the binary under test: $HERALD_BIN, else the repository's debug build.
func heraldBin(t *testing.T) string {
	bin := os.Getenv("HERALD_BIN")
	if bin == "" {
		bin, _ = filepath.Abs(filepath.Join("..", "..", ".build", "debug", "herald"))
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("no herald binary at %s: build it (swift build) or set HERALD_BIN", bin)
	}
	return bin
}

// build compiles one of the examples into the test's folder.
func build(t *testing.T, name string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), name)
	if output, err := exec.Command("go", "build", "-o", out, "./"+name).CombinedOutput(); err != nil {
		t.Fatalf("go build ./%s: %v\n%s", name, err, output)
	}
	return out
}

func startServer(t *testing.T, bin string) string {
	t.Helper()
	data := filepath.Join(t.TempDir(), "data")
	log := &syncWriter{w: &bytes.Buffer{}}
	serve := exec.Command(bin, "serve", "--port", "0", "--data", data, "--log-level", "info")
	serve.Stdout, serve.Stderr = log, log
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = serve.Process.Kill(); _ = serve.Wait() })
	listening := regexp.MustCompile(`listening on (127\.0\.0\.1:\d+)`)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if found := listening.FindStringSubmatch(log.String()); found != nil {
			return "http://" + found[1]
		}
	}
	t.Fatal("herald serve did not start")
	return ""
}

func TestTheBoardSeesTheOrchestratorsRunFinish(t *testing.T) {
	bin := heraldBin(t)
	orchestrator, board := build(t, "orchestrator"), build(t, "board")
	url := startServer(t, bin)

	boardCmd := exec.Command(board, "-server", url, "-project", "acme", "-logs", "task-42", "-until-run", "task-42")
	stdout, err := boardCmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	boardCmd.Stderr = os.Stderr
	if err := boardCmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = boardCmd.Process.Kill() })
	lines := make(chan string, 100)
	go func() {
		scanner := bufio.NewScanner(stdout)
		for scanner.Scan() {
			lines <- scanner.Text()
		}
		close(lines)
	}()
	select {
	case line := <-lines:
		if !strings.HasPrefix(line, "connected to acme") {
			t.Fatalf("the board's first line: %q", line)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the board did not connect")
	}

	orchestratorCmd := exec.Command(orchestrator, "-server", url, "-project", "acme", "-run", "task-42", "-herald", bin, "-pace", "10ms")
	output, err := orchestratorCmd.CombinedOutput()
	if err != nil {
		t.Fatalf("orchestrator: %v\n%s", err, output)
	}
	if !strings.Contains(string(output), "0 failed") {
		t.Fatalf("orchestrator: %s", output)
	}

	var seen []string
	timeout := time.After(20 * time.Second)
	for done := false; !done; {
		select {
		case line, open := <-lines:
			if !open {
				done = true
				break
			}
			seen = append(seen, line)
		case <-timeout:
			t.Fatalf("the board did not see the run finish; it printed:\n%s", strings.Join(seen, "\n"))
		}
	}
	if err := boardCmd.Wait(); err != nil {
		t.Fatalf("board: %v\n%s", err, strings.Join(seen, "\n"))
	}
	printed := strings.Join(seen, "\n")
	for _, want := range []string{
		"RUN     started",
		"TASK    task-42: (none) → PLANNING",
		"AGENT   planner started",
		"LOG     planner:1 [",
		"AGENT   worker-sub-1 failed: tests failed (will retry)",
		"AGENT   worker-sub-1 completed https://git.example.invalid/acme/api/pull/9",
		"SUBTASK sub-2 unblocked by sub-1",
		"TASK    task-42: ACTIVE → DONE",
		"RUN     completed",
	} {
		if !strings.Contains(printed, want) {
			t.Fatalf("the board lacks %q:\n%s", want, printed)
		}
	}
	if !strings.HasSuffix(printed, "RUN     completed") {
		t.Fatalf("the run's end is not the board's last line:\n%s", printed)
	}
}

// syncWriter lets the test read a child's output while the child writes it.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.String()
}
