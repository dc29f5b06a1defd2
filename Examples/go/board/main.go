// Command board is a terminal board for a project: one line per run, task, subtask and agent
// change, and the log lines of the runs asked for, live. It follows the project's stream and
// resumes by itself after any disconnect.
//
//	go run ./board -server http://127.0.0.1:7373 -project acme -logs all
//
// -until-run RUN exits once that run has ended (0 when it completed, 1 otherwise).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"strings"

	herald "github.com/herald/herald/clients/go"
)

func main() {
	server := flag.String("server", envOr("HERALD_URL", "http://127.0.0.1:7373"), "the Herald server")
	project := flag.String("project", "default", "the project to follow")
	logs := flag.String("logs", "", "runs whose log lines to show, comma-separated, or all")
	fromStart := flag.Bool("from-start", false, "replay the project's history first (default: from now)")
	untilRun := flag.String("until-run", "", "exit once this run has ended")
	flag.Parse()

	client, err := herald.NewClient(herald.ClientOptions{BaseURL: *server})
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	options := herald.SubscribeOptions{Project: *project, FromNow: !*fromStart}
	if *logs != "" {
		options.Logs = strings.Split(*logs, ",")
	}
	sub, err := client.Subscribe(ctx, options)
	if err != nil {
		log.Fatal(err)
	}
	defer sub.Close()
	for {
		item, err := sub.Next()
		if err == io.EOF || ctx.Err() != nil {
			return
		}
		if err != nil {
			log.Fatal(err)
		}
		switch it := item.(type) {
		case herald.Connected:
			fmt.Printf("connected to %s: active runs %v\n", it.Project, it.ActiveRuns)
		case herald.Gap:
			fmt.Printf("gap: %s\n", it.Message)
		case herald.Event:
			fmt.Println(statusLine(it))
			if it.Run == *untilRun && it.IsTerminal() {
				if it.Type != "run.completed" {
					os.Exit(1)
				}
				return
			}
		}
	}
}

// statusLine is one line of the board for an event.
func statusLine(event herald.Event) string {
	prefix := fmt.Sprintf("%-12s", event.Run)
	switch event.Type {
	case "run.started", "run.completed", "run.failed", "run.cancelled":
		return fmt.Sprintf("%s RUN     %s", prefix, strings.TrimPrefix(event.Type, "run."))
	case "task.status_changed":
		var change herald.TaskStatusChanged
		_ = event.DecodeData(&change)
		return fmt.Sprintf("%s TASK    %s: %s → %s", prefix, change.TaskID, orNone(change.Old), change.New)
	case "task.subtask_status_changed":
		var change herald.TaskSubtaskStatusChanged
		_ = event.DecodeData(&change)
		return fmt.Sprintf("%s SUBTASK %s: %s → %s", prefix, change.SubtaskID, orNone(change.Old), change.New)
	case "task.subtask_unblocked":
		var unblocked herald.TaskSubtaskUnblocked
		_ = event.DecodeData(&unblocked)
		return fmt.Sprintf("%s SUBTASK %s unblocked by %s", prefix, unblocked.SubtaskID, unblocked.UnblockedBy)
	case "agent.started":
		return fmt.Sprintf("%s AGENT   %s started", prefix, event.Agent)
	case "agent.failed":
		var failed herald.AgentFailed
		_ = event.DecodeData(&failed)
		retry := ""
		if failed.WillRetry {
			retry = " (will retry)"
		}
		return fmt.Sprintf("%s AGENT   %s failed: %s%s", prefix, event.Agent, failed.Error, retry)
	case "agent.completed":
		var completed herald.AgentCompleted
		_ = event.DecodeData(&completed)
		return strings.TrimSpace(fmt.Sprintf("%s AGENT   %s completed %s", prefix, event.Agent, completed.PrURL))
	case "agent.log":
		var line herald.AgentLog
		_ = event.DecodeData(&line)
		number := 0
		if line.LineNumber != nil {
			number = *line.LineNumber
		}
		return fmt.Sprintf("%s LOG     %s:%d %s", prefix, event.Agent, number, line.Line)
	}
	return fmt.Sprintf("%s %-7s %s", prefix, strings.ToUpper(strings.SplitN(event.Type, ".", 2)[0]), event.Type)
}

func orNone(status string) string {
	if status == "" {
		return "(none)"
	}
	return status
}

func envOr(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}
