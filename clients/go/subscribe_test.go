package herald

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// collector reads a subscription on its own goroutine, as an application would.
type collector struct {
	mu    sync.Mutex
	items []Item
	err   error
	done  chan struct{}
}

func collect(sub *Subscription) *collector {
	c := &collector{done: make(chan struct{})}
	go func() {
		defer close(c.done)
		for {
			item, err := sub.Next()
			c.mu.Lock()
			if err != nil {
				c.err = err
				c.mu.Unlock()
				return
			}
			c.items = append(c.items, item)
			c.mu.Unlock()
		}
	}()
	return c
}

func (c *collector) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.items)
}

func (c *collector) snapshot() []Item {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Item(nil), c.items...)
}

// wait waits for the subscription to end and returns how it ended.
func (c *collector) wait(t *testing.T, timeout time.Duration) error {
	t.Helper()
	select {
	case <-c.done:
		return c.err
	case <-time.After(timeout):
		t.Fatalf("the subscription did not end in %v", timeout)
		return nil
	}
}

func seqs(items []Item) []int64 {
	var out []int64
	for _, item := range items {
		if event, ok := item.(Event); ok {
			out = append(out, event.Seq)
		}
	}
	return out
}

func seqRange(first, last int64) []int64 {
	var out []int64
	for seq := first; seq <= last; seq++ {
		out = append(out, seq)
	}
	return out
}

func equalInts(a, b []int64) bool {
	return fmt.Sprint(a) == fmt.Sprint(b)
}

// drainTypes reads a subscription to its end and returns its events' types.
func drainTypes(t *testing.T, sub *Subscription) []string {
	t.Helper()
	var types []string
	for {
		item, err := sub.Next()
		if err == io.EOF {
			return types
		}
		if err != nil {
			t.Fatal(err)
		}
		if event, ok := item.(Event); ok {
			types = append(types, event.Type)
		}
	}
}

func subscribe(t *testing.T, url string, options SubscribeOptions) *Subscription {
	t.Helper()
	sub, err := newTestClient(t, url).Subscribe(testContext(t, 60*time.Second), options)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sub.Close)
	return sub
}

func TestSubscriberFollowsARunToItsEnd(t *testing.T) {
	server := startHerald(t)
	publish(t, server.url(), logLines("live", 0, 3)...)
	items := collect(subscribe(t, server.url(), SubscribeOptions{Run: "live"}))
	waitUntil(t, 10*time.Second, func() bool { return items.count() == 3 })
	publish(t, server.url(), logLines("live", 3, 2)...)
	publish(t, server.url(), NewEvent{Run: "live", Type: "run.completed"})
	if err := items.wait(t, 20*time.Second); err != io.EOF {
		t.Fatalf("ended with %v, not io.EOF", err)
	}
	got := items.snapshot()
	if !equalInts(seqs(got), seqRange(1, 6)) || got[5].(Event).Type != "run.completed" {
		t.Fatalf("items %+v", got)
	}
}

// Scenario 5: a subscriber across a server restart sees every event exactly once, in order.
func TestSubscriberGetsEveryEventOnceInOrderAcrossAServerRestart(t *testing.T) {
	server := startHerald(t)
	publish(t, server.url(), logLines("restart", 0, 5)...)
	sub := subscribe(t, server.url(), SubscribeOptions{Run: "restart", MaxBackoff: 500 * time.Millisecond})
	items := collect(sub)
	waitUntil(t, 10*time.Second, func() bool { return items.count() == 5 })
	server.stop(syscall.SIGKILL)
	server.start()
	publish(t, server.url(), logLines("restart", 5, 5)...)
	publish(t, server.url(), NewEvent{Run: "restart", Type: "run.completed"})
	if err := items.wait(t, 30*time.Second); err != io.EOF {
		t.Fatalf("ended with %v", err)
	}
	if got := seqs(items.snapshot()); !equalInts(got, seqRange(1, 11)) {
		t.Fatalf("seqs %v: a gap or a duplicate", got)
	}
	if sub.Reconnects() < 1 {
		t.Fatal("it never reconnected")
	}
}

func TestSubscriberResumesWhenTheServerEndsItsStream(t *testing.T) {
	server := startHerald(t, "--stream-lifetime", "1", "--heartbeat", "1") // the lifetime is checked a few times per heartbeat
	publish(t, server.url(), logLines("lifetime", 0, 2)...)
	sub := subscribe(t, server.url(), SubscribeOptions{Run: "lifetime"})
	items := collect(sub)
	waitUntil(t, 15*time.Second, func() bool { return sub.Reconnects() >= 2 })
	publish(t, server.url(), logLines("lifetime", 2, 2)...)
	publish(t, server.url(), NewEvent{Run: "lifetime", Type: "run.failed", Data: RunFailed{Error: "x"}})
	if err := items.wait(t, 20*time.Second); err != io.EOF {
		t.Fatalf("ended with %v", err)
	}
	got := items.snapshot()
	if !equalInts(seqs(got), seqRange(1, 5)) || got[4].(Event).Type != "run.failed" {
		t.Fatalf("items %+v", got)
	}
}

func TestSubscriberDropsASilentConnectionAfterTheReadTimeout(t *testing.T) {
	server := startHerald(t)
	proxy := startLossyProxy(t, server.port)
	publish(t, server.url(), logLines("silent", 0, 2)...)
	sub := subscribe(t, proxy.url(), SubscribeOptions{Run: "silent", ReadTimeout: time.Second})
	items := collect(sub)
	waitUntil(t, 10*time.Second, func() bool { return items.count() == 2 })
	proxy.freeze() // the open connection hears nothing more, heartbeats included; new ones do
	frozen := time.Now()
	publish(t, server.url(), logLines("silent", 2, 1)...)
	waitUntil(t, 10*time.Second, func() bool { return items.count() == 3 })
	if took := time.Since(frozen); took < 900*time.Millisecond {
		t.Fatalf("the third event came after %v, before the read timeout: the connection was not silent", took)
	}
	publish(t, server.url(), NewEvent{Run: "silent", Type: "run.completed"})
	if err := items.wait(t, 10*time.Second); err != io.EOF {
		t.Fatalf("ended with %v", err)
	}
	if got := seqs(items.snapshot()); !equalInts(got, seqRange(1, 4)) || sub.Reconnects() != 1 {
		t.Fatalf("seqs %v after %d reconnects", got, sub.Reconnects())
	}
}

func TestSubscriberIsToldOfAGapWhenResumingAheadOfTheRun(t *testing.T) {
	server := startHerald(t)
	publish(t, server.url(), logLines("ahead", 0, 2)...)
	items := collect(subscribe(t, server.url(), SubscribeOptions{Run: "ahead", After: 10}))
	waitUntil(t, 10*time.Second, func() bool { return items.count() == 1 })
	gap, ok := items.snapshot()[0].(Gap)
	if !ok || gap.Reason != "ahead" || gap.Requested != 10 || gap.ContinuesAfter != 2 || gap.Message == "" {
		t.Fatalf("first item %#v", items.snapshot()[0])
	}
	publish(t, server.url(), NewEvent{Run: "ahead", Type: "run.completed"})
	if err := items.wait(t, 10*time.Second); err != io.EOF {
		t.Fatalf("ended with %v", err)
	}
	if got := seqs(items.snapshot()); !equalInts(got, []int64{3}) {
		t.Fatalf("after the gap: %v", got)
	}
}

// Scenario 7: a finished run resumed past its end answers 204, and the subscription ends.
func TestSubscriberEndsWithoutErrorWhenAFinishedRunAnswers204(t *testing.T) {
	server := startHerald(t)
	publish(t, server.url(), logLines("over", 0, 2)...)
	publish(t, server.url(), NewEvent{Run: "over", Type: "run.completed"})
	sub := subscribe(t, server.url(), SubscribeOptions{Run: "over", After: 3})
	item, err := sub.Next()
	if err != io.EOF || item != nil {
		t.Fatalf("Next: %v, %v", item, err)
	}
	if types := drainTypes(t, subscribe(t, server.url(), SubscribeOptions{Run: "over"})); len(types) != 3 {
		t.Fatalf("from the start a finished run replays whole and ends: %v", types)
	}
}

// Scenario 8: filters apply to the stream, and the run's end still comes.
func TestSubscriberFiltersByTypeAndAgentAndTheRunEndStillComes(t *testing.T) {
	server := startHerald(t)
	publish(t, server.url(),
		NewEvent{Run: "f", Type: "agent.log", Agent: "w1", Data: AgentLog{Line: "1"}},
		NewEvent{Run: "f", Type: "step.started", Data: StepStarted{StepID: "s"}},
		NewEvent{Run: "f", Type: "agent.log", Agent: "w2", Data: AgentLog{Line: "2"}},
		NewEvent{Run: "f", Type: "run.completed"},
	)
	sub := subscribe(t, server.url(), SubscribeOptions{Run: "f", Types: []string{"agent.*"}, Agents: []string{"w2"}})
	var got []string
	for {
		item, err := sub.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		event := item.(Event)
		got = append(got, event.Type+"/"+event.Agent)
	}
	if !equalStrings(got, []string{"agent.log/w2", "run.completed/"}) {
		t.Fatalf("streamed %v", got)
	}
}

// Scenario 9: a project stream carries agent.log lines only of the runs named in logs=.
func TestConnectedLabelsTheActiveRuns(t *testing.T) {
	server := startHerald(t)
	publish(t, server.url(),
		NewEvent{Run: "nightly", Type: "run.started", Data: RunStarted{Name: "Nightly eval"}},
		NewEvent{Run: "nightly", Type: "agent.started", Agent: "planner", Data: AgentStarted{}},
	)
	sub := subscribe(t, server.url(), SubscribeOptions{Project: "default", FromNow: true})
	items := collect(sub)
	waitUntil(t, 10*time.Second, func() bool { return items.count() >= 1 })
	connected, ok := items.snapshot()[0].(Connected)
	if !ok || len(connected.Runs) != 1 {
		t.Fatalf("first item %#v, not a connected notice with one run", items.snapshot()[0])
	}
	run := connected.Runs[0]
	if run.Run != "nightly" || run.Name != "Nightly eval" || run.Status != "running" || len(run.Agents) != 1 || run.Agents[0] != "planner" {
		t.Fatalf("the active run as connected tells it: %+v", run)
	}
}

func TestProjectStreamCarriesLogLinesOnlyOfTheNamedRuns(t *testing.T) {
	server := startHerald(t)
	sub := subscribe(t, server.url(), SubscribeOptions{Project: "default", Logs: []string{"r1"}})
	items := collect(sub)
	waitUntil(t, 10*time.Second, func() bool { return items.count() >= 1 })
	connected, ok := items.snapshot()[0].(Connected)
	if !ok || connected.Project != "default" || len(connected.Data) == 0 {
		t.Fatalf("first item %#v, not the connected notice", items.snapshot()[0])
	}
	publish(t, server.url(),
		NewEvent{Run: "r1", Type: "run.started"},
		NewEvent{Run: "r1", Type: "agent.log", Agent: "w", Data: AgentLog{Line: "wanted"}},
		NewEvent{Run: "r2", Type: "agent.log", Agent: "w", Data: AgentLog{Line: "not wanted"}},
		NewEvent{Run: "r2", Type: "step.started", Data: StepStarted{StepID: "s"}},
		NewEvent{Run: "r1", Type: "run.completed"},
	)
	waitUntil(t, 10*time.Second, func() bool { return items.count() == 5 })
	sub.Close()
	if err := items.wait(t, 5*time.Second); err != io.EOF {
		t.Fatalf("Close ended it with %v, not io.EOF", err)
	}
	var got []string
	for _, item := range items.snapshot()[1:] {
		event := item.(Event)
		got = append(got, event.Run+"/"+event.Type)
	}
	if !equalStrings(got, []string{"r1/run.started", "r1/agent.log", "r2/step.started", "r1/run.completed"}) {
		t.Fatalf("streamed %v", got)
	}
	if position, _ := strconv.Atoi(sub.LastEventID()); position < 5 {
		t.Fatalf("project streams resume by project position, at %q", sub.LastEventID())
	}
}

func TestSubscriberToARunThatDoesNotExistFailsUnlessItWaits(t *testing.T) {
	server := startHerald(t)
	_, err := subscribe(t, server.url(), SubscribeOptions{Run: "later"}).Next()
	var refusal *Error
	if !errors.As(err, &refusal) || refusal.Status != 404 {
		t.Fatalf("%v, not a 404", err)
	}
	items := collect(subscribe(t, server.url(), SubscribeOptions{Run: "later", Wait: true}))
	time.Sleep(200 * time.Millisecond) // connected and waiting
	publish(t, server.url(), logLines("later", 0, 1)...)
	publish(t, server.url(), NewEvent{Run: "later", Type: "run.completed"})
	if err := items.wait(t, 10*time.Second); err != io.EOF {
		t.Fatalf("ended with %v", err)
	}
	if got := seqs(items.snapshot()); !equalInts(got, []int64{1, 2}) {
		t.Fatalf("seqs %v", got)
	}
}

func TestSubscriberHandsOverHeartbeatsWhenAsked(t *testing.T) {
	server := startHerald(t, "--heartbeat", "1")
	publish(t, server.url(), logLines("quiet", 0, 1)...)
	sub := subscribe(t, server.url(), SubscribeOptions{Run: "quiet", Heartbeats: true})
	first, err := sub.Next()
	if _, ok := first.(Event); !ok || err != nil {
		t.Fatalf("first %#v %v", first, err)
	}
	second, err := sub.Next()
	if _, ok := second.(Heartbeat); !ok || err != nil {
		t.Fatalf("second %#v %v", second, err)
	}
}

func TestSubscriberResumePointIsTheLastItemHandedOver(t *testing.T) {
	server := startHerald(t)
	publish(t, server.url(), logLines("resume-point", 0, 100)...)
	sub := subscribe(t, server.url(), SubscribeOptions{Run: "resume-point"})
	for i := 0; i < 10; i++ {
		if _, err := sub.Next(); err != nil {
			t.Fatal(err)
		}
	}
	if sub.LastEventID() != "10" {
		t.Fatalf("resume point %q after 10 items, though more were read from the socket", sub.LastEventID())
	}
	sub.Close()
	rest := subscribe(t, server.url(), SubscribeOptions{Run: "resume-point", After: 10})
	if item, err := rest.Next(); err != nil || item.(Event).Seq != 11 {
		t.Fatalf("%+v %v", item, err)
	}
}

func TestSubscriberFromNowSurvivesAReconnectBeforeTheFirstEvent(t *testing.T) {
	server := startHerald(t)
	publish(t, server.url(), logLines("now", 0, 3)...)
	onRun := subscribe(t, server.url(), SubscribeOptions{Run: "now", FromNow: true, MaxBackoff: 300 * time.Millisecond})
	onProject := subscribe(t, server.url(), SubscribeOptions{Project: "default", FromNow: true, MaxBackoff: 300 * time.Millisecond})
	runItems, projectItems := collect(onRun), collect(onProject)
	waitUntil(t, 10*time.Second, func() bool { return projectItems.count() == 1 && onRun.LastEventID() == "3" })
	time.Sleep(100 * time.Millisecond) // the run stream is open too
	server.stop(syscall.SIGKILL)
	server.start()
	publish(t, server.url(), logLines("now", 3, 1)...) // while the subscribers are reconnecting
	publish(t, server.url(), NewEvent{Run: "now", Type: "run.completed"})
	if err := runItems.wait(t, 20*time.Second); err != io.EOF {
		t.Fatalf("ended with %v", err)
	}
	waitUntil(t, 20*time.Second, func() bool { return len(seqs(projectItems.snapshot())) == 1 })
	if got := seqs(runItems.snapshot()); !equalInts(got, []int64{4, 5}) {
		t.Fatalf("run stream from now: %v", got)
	}
	if event := projectItems.snapshot()[len(projectItems.snapshot())-1].(Event); event.Type != "run.completed" {
		t.Fatalf("project stream from now: %+v (agent.log lines come only with Logs)", event)
	}
}

func TestCancellingTheContextEndsASubscriptionThatIsBackingOff(t *testing.T) {
	client := newTestClient(t, fmt.Sprintf("http://127.0.0.1:%d", freePort(t)))
	ctx, cancel := context.WithCancel(context.Background())
	sub, err := client.Subscribe(ctx, SubscribeOptions{Run: "r", Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	items := collect(sub)
	time.Sleep(1500 * time.Millisecond) // the first retry waits 0.5–1 s, the second 1–2 s
	cancelled := time.Now()
	cancel()
	if err := items.wait(t, 2*time.Second); !errors.Is(err, context.Canceled) {
		t.Fatalf("ended with %v, not context.Canceled", err)
	}
	if took := time.Since(cancelled); took > 500*time.Millisecond {
		t.Fatalf("it took %v to notice the cancellation", took)
	}
}

func TestSubscriberGivesUpAfterMaxFailures(t *testing.T) {
	logs, logger := newLogBuffer()
	client := newTestClient(t, fmt.Sprintf("http://127.0.0.1:%d", freePort(t)))
	sub, _ := client.Subscribe(testContext(t, 20*time.Second), SubscribeOptions{Run: "r", MaxFailures: 2, MaxBackoff: 100 * time.Millisecond, Logger: logger})
	_, err := sub.Next()
	var refusal *Error
	if !errors.As(err, &refusal) || refusal.Code != "unreachable" {
		t.Fatalf("%v", err)
	}
	if !containsText(logs.String(), "retrying") {
		t.Fatalf("the failure before the last is not logged:\n%s", logs)
	}
}
