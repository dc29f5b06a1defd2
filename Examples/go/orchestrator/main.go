// Command orchestrator plays a small planner/worker run the way the Go team's orchestrator does
// (shared/field/go-orchestrator-realtime-events.md): task and subtask status changes, agents
// started, failed and completed, and each agent's log file followed line by line.
//
//	go run ./orchestrator -server http://127.0.0.1:7373 -project acme -run task-42
//
// Log files are followed by `herald tail-file`, one child process per agent, rather than by Go
// code here: it already waits for the file, follows rotation and truncation, parses [HH:MM:SS]
// stamps, truncates long lines, resumes after a crash without duplicates (the server is its
// checkpoint) and stops at the sentinel. A Go copy would have to keep all of that in step.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	herald "github.com/herald/herald/clients/go"
)

const sentinel = "=== Run Complete ==="

func main() {
	server := flag.String("server", envOr("HERALD_URL", "http://127.0.0.1:7373"), "the Herald server")
	project := flag.String("project", "default", "the project (the Go team's projectID)")
	run := flag.String("run", fmt.Sprintf("task-%d", time.Now().Unix()), "the run: one task of the orchestrator")
	logs := flag.String("logs", "", "where agents write their log files (default: a temporary folder)")
	heraldBin := flag.String("herald", envOr("HERALD_BIN", "herald"), "the herald binary, for tail-file")
	pace := flag.Duration("pace", 50*time.Millisecond, "the pause between two steps")
	flag.Parse()

	if *logs == "" {
		dir, err := os.MkdirTemp("", "orchestrator-logs-")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(dir)
		*logs = dir
	}
	h, err := herald.NewEmitter(herald.EmitterOptions{BaseURL: *server, Project: *project, Run: *run})
	if err != nil {
		log.Fatal(err)
	}
	o := &orchestrator{h: h, server: *server, project: *project, run: *run, logs: *logs, heraldBin: *heraldBin, pace: *pace}
	if err := o.play(); err != nil {
		log.Print(err)
		h.RunFailed(herald.RunFailed{Error: err.Error()})
	}
	if err := h.Close(context.Background()); err != nil {
		log.Fatal(err)
	}
	stats := h.Stats()
	fmt.Printf("run %s: %d events delivered, %d failed\n", *run, stats.Delivered, stats.Failed)
	if stats.Failed > 0 {
		os.Exit(1)
	}
}

type orchestrator struct {
	h                                     *herald.Emitter
	server, project, run, logs, heraldBin string
	pace                                  time.Duration
}

// play is the task's life: planned, then one subtask worked (a failure, a retry, a PR), which
// unblocks the next.
func (o *orchestrator) play() error {
	h, task := o.h, o.run
	start := h.RunStarted(herald.RunStarted{Name: "Add rate limiting", Goal: "a merged PR"})
	h.TaskStatusChanged(herald.TaskStatusChanged{TaskID: task, Old: "", New: "PLANNING"}, herald.CausedBy(start))

	err := o.agent("planner", "PLANNER", func(say func(string)) (string, error) {
		say("reading the repository")
		say("planning 2 subtasks: sub-1 (middleware), sub-2 (docs, after sub-1)")
		return "", nil
	})
	if err != nil {
		return err
	}
	h.TaskStatusChanged(herald.TaskStatusChanged{TaskID: task, Old: "PLANNING", New: "ACTIVE"})
	h.TaskSubtaskStatusChanged(herald.TaskSubtaskStatusChanged{TaskID: task, SubtaskID: "sub-1", Old: "READY", New: "IN_PROGRESS"})
	attempt := 0
	err = o.agent("worker-sub-1", "WORKER", func(say func(string)) (string, error) {
		attempt++
		say("writing the middleware")
		if attempt == 1 {
			say("tests failed: 2 of 14")
			return "", fmt.Errorf("tests failed")
		}
		say("tests passed: 14 of 14")
		return "https://git.example.invalid/acme/api/pull/9", nil
	})
	if err != nil {
		return err
	}
	h.TaskSubtaskStatusChanged(herald.TaskSubtaskStatusChanged{TaskID: task, SubtaskID: "sub-1", Old: "IN_PROGRESS", New: "MERGED"})
	h.TaskSubtaskUnblocked(herald.TaskSubtaskUnblocked{TaskID: task, SubtaskID: "sub-2", UnblockedBy: "sub-1"})
	h.TaskStatusChanged(herald.TaskStatusChanged{TaskID: task, Old: "ACTIVE", New: "DONE"})
	h.RunCompleted(herald.RunCompleted{Summary: "sub-1 merged; sub-2 unblocked"})
	return nil
}

// agent runs one agent: its log file followed by `herald tail-file` while work writes to it,
// agent.started, and agent.failed (will retry) until work succeeds, then agent.completed.
func (o *orchestrator) agent(name, role string, work func(say func(string)) (string, error)) error {
	path := filepath.Join(o.logs, name+".log")
	file, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer file.Close()
	tail := exec.Command(o.heraldBin, "tail-file", path, "--server", o.server, "--project", o.project,
		"--run", o.run, "--agent", name, "--poll-interval", "0.05")
	tail.Stdout, tail.Stderr = os.Stderr, os.Stderr
	if err := tail.Start(); err != nil {
		return fmt.Errorf("starting herald tail-file: %w", err)
	}
	agent := o.h.Bind(herald.Defaults{Agent: name})
	agent.AgentStarted(herald.AgentStarted{Role: role})
	say := func(line string) {
		fmt.Fprintf(file, "[%s] %s\n", time.Now().Format("15:04:05"), line)
		time.Sleep(o.pace)
	}
	var prURL string
	for {
		prURL, err = work(say)
		if err == nil {
			break
		}
		agent.AgentFailed(herald.AgentFailed{Error: err.Error(), WillRetry: true})
	}
	fmt.Fprintln(file, sentinel)
	// The tail publishes the sentinel and exits once everything it read is delivered, so the
	// agent's lines come before its completion (and before the run's end, which refuses later
	// events).
	if err := tail.Wait(); err != nil {
		return fmt.Errorf("herald tail-file for %s: %w", name, err)
	}
	agent.AgentCompleted(herald.AgentCompleted{PrURL: prURL})
	return nil
}

func envOr(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}
