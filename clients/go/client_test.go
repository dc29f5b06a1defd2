package herald

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestClientQueriesAnswerAsTheServerDoes(t *testing.T) {
	server := startHerald(t)
	client := newTestClient(t, server.url())
	ctx := testContext(t, 20*time.Second)
	answer, err := client.Publish(ctx, []NewEvent{
		{Run: "q", Type: "run.started", Data: RunStarted{Name: "Query run"}},
		{Run: "q", Type: "agent.log", Agent: "w1", Data: AgentLog{Line: "a"}},
		{Run: "q", Type: "agent.log", Agent: "w2", Data: AgentLog{Line: "b"}},
	})
	if err != nil || answer.Accepted != 3 {
		t.Fatalf("%v %+v", err, answer)
	}
	first := answer.Events[0].ID
	publish(t, server.url(), NewEvent{Run: "q", Type: "decision", Agent: "w1", CausedBy: []string{first}, Data: Decision{DecisionType: "d", NewValue: 1}})

	runs, err := client.Runs(ctx, RunsQuery{})
	if err != nil || len(runs.Runs) != 1 || runs.Runs[0].Run != "q" {
		t.Fatalf("%v %+v", err, runs)
	}
	run, err := client.Run(ctx, "q")
	if err != nil || run.Name != "Query run" || run.EventCount != 4 || run.LastSeq != 4 {
		t.Fatalf("%v %+v", err, run)
	}
	page, err := client.Events(ctx, "q", EventsQuery{Types: []string{"agent.*"}, Limit: 1})
	if err != nil || page.Total != 2 || !page.HasMore || string(page.Events[0].Data) != `{"line":"a"}` {
		t.Fatalf("%v %+v", err, page)
	}
	byAgent, err := client.AllEvents(ctx, "q", EventsQuery{Agents: []string{"w2"}})
	if err != nil || len(byAgent) != 1 || byAgent[0].Agent != "w2" {
		t.Fatalf("%v %+v", err, byAgent)
	}
	paged, err := client.AllEvents(ctx, "q", EventsQuery{Limit: 1})
	if err != nil || len(paged) != 4 || paged[3].Seq != 4 {
		t.Fatalf("%v: %d events", err, len(paged))
	}
	event, err := client.Event(ctx, "q", first)
	if err != nil || event.Type != "run.started" {
		t.Fatalf("%v %+v", err, event)
	}
	causality, err := client.Causality(ctx, "q", first)
	if err != nil || len(causality.Downstream) != 1 || causality.Downstream[0].Type != "decision" {
		t.Fatalf("%v %+v", err, causality)
	}
}

func TestClientErrorsCarryStatusCodeMessageAndDetails(t *testing.T) {
	server := startHerald(t)
	client := newTestClient(t, server.url())
	ctx := testContext(t, 20*time.Second)
	var refusal *Error
	_, err := client.Run(ctx, "nobody")
	if !errors.As(err, &refusal) || refusal.Status != 404 || refusal.Code != "run_not_found" || refusal.Message == "" {
		t.Fatalf("%#v", err)
	}
	_, err = client.Publish(ctx, []NewEvent{{Run: "e", Type: "decision", Data: map[string]int{"newValue": 1}}})
	if !errors.As(err, &refusal) || refusal.Status != 422 {
		t.Fatalf("%#v", err)
	}
	fields := map[string]bool{}
	for _, detail := range refusal.Details {
		fields[detail.Field] = true
		if detail.Index == nil || *detail.Index != 0 {
			t.Fatalf("detail without its index: %+v", detail)
		}
	}
	if !fields["agent"] || !fields["data.decisionType"] {
		t.Fatalf("details %+v", refusal.Details)
	}
	down := newTestClient(t, fmt.Sprintf("http://127.0.0.1:%d", freePort(t)))
	_, err = down.Runs(ctx, RunsQuery{})
	if !errors.As(err, &refusal) || refusal.Status != 0 || refusal.Code != "unreachable" || errors.Unwrap(err) == nil {
		t.Fatalf("%#v", err)
	}
}

func TestClientForOneProjectNamesItOnRunCallsAndEvents(t *testing.T) {
	server := startHerald(t)
	ctx := testContext(t, 20*time.Second)
	acme, _ := NewClient(ClientOptions{BaseURL: server.url(), Project: "acme"})
	// Events that name no project get the client's.
	if _, err := acme.Publish(ctx, []NewEvent{{Run: "shared-name", Type: "agent.log", Agent: "w", Data: AgentLog{Line: "a"}}, {Run: "shared-name", Type: "run.completed"}}); err != nil {
		t.Fatal(err)
	}
	if run, err := acme.Run(ctx, "shared-name"); err != nil || run.Project != "acme" {
		t.Fatalf("%v %+v", err, run)
	}
	other, _ := NewClient(ClientOptions{BaseURL: server.url(), Project: "other"})
	if _, err := other.Run(ctx, "shared-name"); errorStatus(err) != 404 {
		t.Fatalf("another project's run: %v", err)
	}
	if runs, err := other.Runs(ctx, RunsQuery{}); err != nil || len(runs.Runs) != 0 {
		t.Fatalf("%v %+v", err, runs)
	}
	sub, err := acme.Subscribe(ctx, SubscribeOptions{Run: "shared-name"})
	if err != nil {
		t.Fatal(err)
	}
	if types := drainTypes(t, sub); !equalStrings(types, []string{"agent.log", "run.completed"}) {
		t.Fatalf("streamed %v", types)
	}
}
