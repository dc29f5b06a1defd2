package herald

import (
	"io"
	"testing"
	"time"
)

func TestEveryTypedHelperIsAcceptedByTheServer(t *testing.T) {
	server := startHerald(t)
	h := newTestEmitter(t, EmitterOptions{BaseURL: server.url(), Run: "helpers", Agent: "w"})
	calls := []func() string{
		func() string { return h.RunQueued(RunQueued{Name: "helpers"}) },
		func() string { return h.RunStarted(RunStarted{Name: "helpers", Goal: "all"}) },
		func() string { return h.MilestoneTurnStart(1) },
		func() string { return h.MilestoneTurnEnd(1) },
		func() string {
			return h.MilestonePhaseTransition(MilestonePhaseTransition{From: "plan", To: "execute"})
		},
		func() string { return h.Decision(Decision{DecisionType: "route", NewValue: "w1", Reason: "idle"}) },
		func() string { return h.Action(Action{ActionType: "search", Payload: map[string]string{"q": "x"}}) },
		func() string { return h.State(State{Variable: "budget", Old: 10, New: 9, Scope: "run"}) },
		func() string { return h.Detail(Detail{CalculationType: "score", IntermediateValues: []int{1, 2}}) },
		func() string { return h.TaskStarted(TaskStarted{TaskID: "t1", Title: "Fetch"}) },
		func() string {
			return h.TaskStatusChanged(TaskStatusChanged{TaskID: "t1", Old: "planning", New: "active"})
		},
		func() string {
			return h.TaskSubtaskStatusChanged(TaskSubtaskStatusChanged{TaskID: "t1", SubtaskID: "t1.a", Old: "blocked", New: "active"})
		},
		func() string {
			return h.TaskSubtaskUnblocked(TaskSubtaskUnblocked{TaskID: "t1", SubtaskID: "t1.b", UnblockedBy: "t1.a"})
		},
		func() string { return h.TaskCompleted(TaskCompleted{TaskID: "t1", Result: map[string]int{"pages": 3}}) },
		func() string { return h.TaskFailed(TaskFailed{TaskID: "t2", Error: "timeout"}) },
		func() string { return h.StepQueued(StepQueued{StepID: "s1", Label: "queued"}) },
		func() string { return h.StepStarted(StepStarted{StepID: "s1"}) },
		func() string { return h.StepProgress(StepProgress{StepID: "s1", Percent: 50, Label: "half"}) },
		func() string {
			return h.StepCompleted(StepCompleted{StepID: "s1", TokensUsed: Ptr(0), ArtifactID: "a1"})
		},
		func() string { return h.StepFailed(StepFailed{StepID: "s2", Code: "E1", Message: "broke"}) },
		func() string { return h.AgentStarted(AgentStarted{Role: "worker"}) },
		func() string {
			return h.AgentLog(AgentLog{Line: "[12:00:01] hello", LineNumber: Ptr(1), LogTime: "12:00:01", Truncated: Ptr(false)})
		},
		func() string {
			return h.AgentCompleted(AgentCompleted{PrURL: "https://example.invalid/pr/1", Summary: "done"})
		},
		func() string { return h.AgentFailed(AgentFailed{Error: "crashed", WillRetry: true}) },
		func() string {
			return h.Reflection(Reflection{Done: Ptr(false), Gaps: []string{"tests"}, NewTasks: []string{}})
		},
		func() string { return h.Reflection(Reflection{Content: "looks right"}) },
		func() string { return h.Thought(Thought{Text: "maybe"}) },
		func() string { return h.MessageStarted(MessageStarted{MessageID: "m1", Role: "assistant"}) },
		func() string { return h.MessageDelta(MessageDelta{MessageID: "m1", Delta: "Hel"}) },
		func() string { return h.MessageCompleted(MessageCompleted{MessageID: "m1"}) },
		func() string {
			return h.ToolCallStarted(ToolCallStarted{ToolCallID: "c1", ToolCallName: "search", ParentMessageID: "m1"})
		},
		func() string { return h.ToolCallArgs(ToolCallArgs{ToolCallID: "c1", Delta: `{"q":`}) },
		func() string { return h.ToolCallCompleted(ToolCallCompleted{ToolCallID: "c1"}) },
		func() string {
			return h.ToolCallResult(ToolCallResult{ToolCallID: "c1", MessageID: "m2", Content: "3 results", Role: "tool"})
		},
		func() string { return h.StateSnapshot(StateSnapshot{Snapshot: map[string]int{"a": 1}}) },
		func() string {
			return h.StateDelta(StateDelta{Delta: []map[string]interface{}{{"op": "replace", "path": "/a", "value": 2}}})
		},
		func() string { return h.ReasoningStarted(ReasoningStarted{MessageID: "r1"}) },
		func() string { return h.ReasoningMessageStarted(ReasoningMessageStarted{MessageID: "r1"}) },
		func() string { return h.ReasoningDelta(ReasoningDelta{MessageID: "r1", Delta: "think"}) },
		func() string { return h.ReasoningMessageCompleted(ReasoningMessageCompleted{MessageID: "r1"}) },
		func() string { return h.ReasoningCompleted(ReasoningCompleted{MessageID: "r1"}) },
		func() string {
			return h.SystemError(SystemError{ErrorType: "Timeout", Status: "retrying", RetryCount: Ptr(1), Message: "slow"})
		},
		func() string { return h.System("retry", System{RetryCount: Ptr(2)}) },
		func() string { return h.RunCompleted(RunCompleted{Summary: "ok"}) },
	}
	for i, call := range calls {
		if call() == "" {
			t.Fatalf("call %d was not queued", i)
		}
	}
	if err := h.Close(testContext(t, 20*time.Second)); err != nil {
		t.Fatal(err)
	}
	if stats := h.Stats(); stats.Failed != 0 || stats.Delivered != int64(len(calls)) {
		t.Fatalf("stats %+v", stats)
	}
	stored := allEvents(t, server.url(), "helpers")
	var tokens StepCompleted
	for _, event := range stored {
		if event.Type == "step.completed" {
			_ = event.DecodeData(&tokens)
		}
	}
	if len(stored) != len(calls) || tokens.TokensUsed == nil || *tokens.TokensUsed != 0 {
		t.Fatalf("%d stored; tokensUsed 0 must be sent, not left out", len(stored))
	}
}

// The Go team's orchestrator (shared/field/go-orchestrator-realtime-events.md): its event hub's
// seven events, published with the helpers that carry them, reach a project stream that asked
// for the run's log lines (their subscribe_logs), with their data.
func TestGoOrchestratorFieldEventsAreAccepted(t *testing.T) {
	server := startHerald(t)
	sub := subscribe(t, server.url(), SubscribeOptions{Project: "proj-1", Logs: []string{"task-42"}})
	first, err := sub.Next()
	if connected, ok := first.(Connected); err != nil || !ok || connected.Project != "proj-1" {
		t.Fatalf("%#v %v", first, err)
	}
	h := newTestEmitter(t, EmitterOptions{BaseURL: server.url(), Project: "proj-1", Run: "task-42"})
	planner := h.Bind(Defaults{Agent: "planner-run-7"})
	worker := h.Bind(Defaults{Agent: "worker-run-8"})
	emitted := []string{
		h.TaskStatusChanged(TaskStatusChanged{TaskID: "task-42", Old: "", New: "PLANNING"}), // CreateTask: nil → PLANNING
		planner.AgentStarted(AgentStarted{Role: "PLANNER"}),
		planner.AgentLog(AgentLog{Line: "[12:00:01] planning", LineNumber: Ptr(1), LogTime: "12:00:01"}),
		planner.AgentCompleted(AgentCompleted{}),
		h.TaskStatusChanged(TaskStatusChanged{TaskID: "task-42", Old: "PLANNING", New: "ACTIVE"}),
		h.TaskSubtaskStatusChanged(TaskSubtaskStatusChanged{TaskID: "task-42", SubtaskID: "sub-1", Old: "READY", New: "IN_PROGRESS"}),
		worker.AgentStarted(AgentStarted{Role: "WORKER"}),
		worker.AgentFailed(AgentFailed{Error: "tests failed", WillRetry: true}),
		worker.AgentCompleted(AgentCompleted{PrURL: "https://git.example.invalid/pr/9"}),
		h.TaskSubtaskStatusChanged(TaskSubtaskStatusChanged{TaskID: "task-42", SubtaskID: "sub-1", Old: "IN_PROGRESS", New: "MERGED"}),
		h.TaskSubtaskUnblocked(TaskSubtaskUnblocked{TaskID: "task-42", SubtaskID: "sub-2", UnblockedBy: "sub-1"}),
		h.TaskStatusChanged(TaskStatusChanged{TaskID: "task-42", Old: "ACTIVE", New: "DONE"}),
	}
	if err := h.Flush(testContext(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	if stats := h.Stats(); stats.Failed != 0 || stats.Delivered != int64(len(emitted)) {
		t.Fatalf("stats %+v", stats)
	}
	var streamed []string
	var failed AgentFailed
	var completed AgentCompleted
	for len(streamed) < len(emitted) {
		item, err := sub.Next()
		if err != nil {
			t.Fatal(err)
		}
		event := item.(Event)
		streamed = append(streamed, event.ID)
		switch {
		case event.Type == "agent.failed":
			_ = event.DecodeData(&failed)
		case event.Type == "agent.completed" && event.Agent == "worker-run-8":
			_ = event.DecodeData(&completed)
		}
	}
	if !equalStrings(streamed, emitted) || !failed.WillRetry || completed.PrURL != "https://git.example.invalid/pr/9" {
		t.Fatalf("streamed %v, emitted %v; %+v %+v", streamed, emitted, failed, completed)
	}
	sub.Close()
	if _, err := sub.Next(); err != io.EOF {
		t.Fatalf("after Close: %v", err)
	}
}
