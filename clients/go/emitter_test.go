package herald

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestEmitterKeepsOrderAcrossInterleavedRunsAndGoroutines(t *testing.T) {
	server := startHerald(t)
	h := newTestEmitter(t, EmitterOptions{BaseURL: server.url(), Agent: "w", MaxBatchSize: 7})
	emitted := map[string][]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for offset := 0; offset < 2; offset++ {
		wg.Add(1)
		go func(offset int) {
			defer wg.Done()
			for i := offset; i < 300; i += 2 {
				run := string("abc"[i%3])
				mu.Lock() // the order a run's events are emitted in is the order they get ids
				emitted[run] = append(emitted[run], h.Emit("step.progress", map[string]interface{}{"stepId": "s", "percent": i / 3}, WithRun(run)))
				mu.Unlock()
			}
		}(offset)
	}
	wg.Wait()
	if err := h.Close(testContext(t, 30*time.Second)); err != nil {
		t.Fatal(err)
	}
	if stats := h.Stats(); stats.Delivered != 300 || stats.Failed != 0 || stats.Pending != 0 {
		t.Fatalf("stats %+v", stats)
	}
	for run, want := range emitted {
		stored := allEvents(t, server.url(), run)
		if !equalStrings(ids(stored), want) {
			t.Fatalf("run %s: stored %v, emitted %v", run, ids(stored), want)
		}
		if !sort.StringsAreSorted(want) {
			t.Fatalf("ids of run %s do not increase: %v", run, want)
		}
	}
}

// Scenario 1: order across a server restart.
func TestEmitterStoresEverythingOnceInOrderAcrossAServerRestart(t *testing.T) {
	server := startHerald(t)
	logs, logger := newLogBuffer()
	h := newTestEmitter(t, EmitterOptions{BaseURL: server.url(), Run: "restart", Agent: "w", MaxBatchSize: 50, MaxBackoff: 500 * time.Millisecond, Logger: logger})
	var emitted []string
	for i := 0; i < 1000; i++ {
		emitted = append(emitted, h.AgentLog(AgentLog{Line: fmt.Sprintf("line %d", i)}))
		switch i {
		case 300:
			server.stop(syscall.SIGKILL) // mid-stream, without warning
		case 700:
			server.start() // the same port and data folder
		}
		if i%50 == 0 {
			time.Sleep(25 * time.Millisecond) // the server stays down for about 200 ms
		}
	}
	if err := h.Flush(testContext(t, 60*time.Second)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "retrying") {
		t.Fatal("no delivery failed while the server was down")
	}
	stats := h.Stats()
	if stats.Emitted != 1000 || stats.Delivered != 1000 || stats.Failed != 0 || stats.Dropped != 0 {
		t.Fatalf("stats %+v", stats)
	}
	stored := allEvents(t, server.url(), "restart")
	if !equalStrings(ids(stored), emitted) {
		t.Fatalf("stored %d events, not the 1000 emitted exactly once in order", len(stored))
	}
	for i, event := range stored {
		var line AgentLog
		if err := event.DecodeData(&line); err != nil || line.Line != fmt.Sprintf("line %d", i) || event.Seq != int64(i+1) {
			t.Fatalf("event %d: seq %d, %q (%v)", i, event.Seq, line.Line, err)
		}
	}
}

// Scenario 2: lost answers never duplicate.
func TestEmitterLostAnswersNeverDuplicate(t *testing.T) {
	server := startHerald(t)
	proxy := startLossyProxy(t, server.port)
	proxy.loseAnswers(5)
	h := newTestEmitter(t, EmitterOptions{BaseURL: proxy.url(), Run: "lossy", Agent: "w", MaxBatchSize: 20, Linger: -1, MaxBackoff: 200 * time.Millisecond})
	var emitted []string
	for i := 0; i < 200; i++ {
		emitted = append(emitted, h.AgentLog(AgentLog{Line: fmt.Sprint(i)}))
	}
	if err := h.Close(testContext(t, 30*time.Second)); err != nil {
		t.Fatal(err)
	}
	if proxy.lost() != 5 {
		t.Fatalf("the proxy lost %d answers, not 5", proxy.lost())
	}
	if stats := h.Stats(); stats.Delivered != 200 || stats.Failed != 0 {
		t.Fatalf("stats %+v", stats)
	}
	if stored := allEvents(t, server.url(), "lossy"); !equalStrings(ids(stored), emitted) {
		t.Fatalf("stored %d events, emitted 200: duplicates or losses", len(stored))
	}
}

// Scenario 3: server down — Emit never blocks, Close gives up at its timeout.
func TestEmitterNeverBlocksWhileTheServerIsDownAndCloseGivesUpAtItsTimeout(t *testing.T) {
	h := newTestEmitter(t, EmitterOptions{BaseURL: fmt.Sprintf("http://127.0.0.1:%d", freePort(t)), Run: "down", Agent: "w",
		BufferCapacity: 500, ShutdownTimeout: time.Second})
	costs := make([]time.Duration, 3000)
	began := time.Now()
	for i := range costs {
		start := time.Now()
		h.AgentLog(AgentLog{Line: fmt.Sprint(i)})
		costs[i] = time.Since(start)
	}
	total := time.Since(began)
	sort.Slice(costs, func(i, j int) bool { return costs[i] < costs[j] })
	t.Logf("3000 emits with the server down: %v in all, median %v, p99 %v, max %v", total, costs[1500], costs[2970], costs[2999])
	if total > time.Second { // a single connection attempt per call would take far longer
		t.Fatalf("3000 emits took %v", total)
	}
	if stats := h.Stats(); stats.Emitted != 500 || stats.Dropped != 2500 {
		t.Fatalf("the buffer's bound is 500, drop-newest: %+v", stats)
	}
	start := time.Now()
	err := h.Close(context.Background())
	took := time.Since(start)
	if err == nil || !strings.Contains(err.Error(), "500") {
		t.Fatalf("Close should say it gave up on 500 events: %v", err)
	}
	if took < 900*time.Millisecond || took > 3*time.Second {
		t.Fatalf("Close took %v with a 1 s timeout", took)
	}
	if stats := h.Stats(); stats.Failed != 500 || stats.Delivered != 0 || stats.Pending != 0 {
		t.Fatalf("stats %+v", stats)
	}
	if h.AgentLog(AgentLog{Line: "after close"}) != "" || h.Stats().Dropped != 2501 {
		t.Fatal("an emit after Close must be dropped")
	}
}

func TestEmitterCloseStopsAtTheContextsEnd(t *testing.T) {
	h := newTestEmitter(t, EmitterOptions{BaseURL: fmt.Sprintf("http://127.0.0.1:%d", freePort(t)), Run: "down", Agent: "w"})
	h.AgentLog(AgentLog{Line: "nobody listens"})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := h.Close(ctx); err == nil {
		t.Fatal("Close should say it gave up")
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("Close took %v; its context ended after 200 ms", took)
	}
}

// Scenario 4: refusals are isolated.
func TestEmitterRefusalsAreIsolatedAndTheRestDelivered(t *testing.T) {
	server := startHerald(t)
	logs, logger := newLogBuffer()
	h := newTestEmitter(t, EmitterOptions{BaseURL: server.url(), Run: "refusals", MaxBatchSize: 100, Linger: 50 * time.Millisecond, Logger: logger})
	good1 := h.AgentLog(AgentLog{Line: "ok"}, WithAgent("w"))
	bad := h.Decision(Decision{DecisionType: "x", NewValue: 1}) // a decision needs an agent
	good2 := h.Emit("my.thing", map[string]int{"n": 1})
	if err := h.Close(testContext(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	if stats := h.Stats(); stats.Delivered != 2 || stats.Failed != 1 {
		t.Fatalf("stats %+v", stats)
	}
	if stored := ids(allEvents(t, server.url(), "refusals")); !equalStrings(stored, []string{good1, good2}) {
		t.Fatalf("stored %v", stored)
	}
	if text := logs.String(); !strings.Contains(text, bad) || !strings.Contains(text, "agent") {
		t.Fatalf("the refusal is not logged with the event's id and reason:\n%s", text)
	}
}

type panickingPayload struct{}

func (panickingPayload) MarshalJSON() ([]byte, error) { panic("a broken MarshalJSON") }

func TestEmitterCountsPayloadsThatCannotBeEncodedInsteadOfPanicking(t *testing.T) {
	server := startHerald(t)
	logs, logger := newLogBuffer()
	h := newTestEmitter(t, EmitterOptions{BaseURL: server.url(), Run: "payloads", Agent: "w", Logger: logger})
	for _, data := range []interface{}{
		map[string]interface{}{"x": math.NaN()},
		map[string]interface{}{"c": make(chan int)},
		[]string{"not", "an", "object"},
		panickingPayload{},
	} {
		if id := h.Emit("my.thing", data); id != "" {
			t.Fatalf("%T was queued as %s", data, id)
		}
	}
	if h.Emit("my.thing", map[string]bool{"fine": true}) == "" {
		t.Fatal("a fine payload was not queued")
	}
	if err := h.Close(testContext(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	if stats := h.Stats(); stats.Failed != 4 || stats.Delivered != 1 {
		t.Fatalf("stats %+v", stats)
	}
	if count := strings.Count(logs.String(), "not emitted"); count != 4 {
		t.Fatalf("%d failures logged, not 4:\n%s", count, logs)
	}
}

func TestEmitterEncodesThePayloadAtTheCall(t *testing.T) {
	server := startHerald(t)
	h := newTestEmitter(t, EmitterOptions{BaseURL: server.url(), Run: "snapshot", Agent: "w", Linger: 200 * time.Millisecond})
	data := map[string][]int{"items": {1}}
	h.Emit("my.thing", data)
	data["items"] = append(data["items"], 2) // changed after the call, before delivery
	if err := h.Close(testContext(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	if stored := allEvents(t, server.url(), "snapshot"); string(stored[0].Data) != `{"items":[1]}` {
		t.Fatalf("stored %s", stored[0].Data)
	}
}

func TestEmitterVerbosityFiltersAtTheCall(t *testing.T) {
	server := startHerald(t)
	h := newTestEmitter(t, EmitterOptions{BaseURL: server.url(), Run: "verbosity", Agent: "w", Verbosity: LevelDecision})
	filtered := []string{
		h.AgentLog(AgentLog{Line: "detail level"}),
		h.StepProgress(StepProgress{StepID: "s", Percent: 10}),
		h.Emit("my.thing", nil), // custom types default to action
	}
	kept := []string{
		h.Decision(Decision{DecisionType: "route", NewValue: "w1"}),
		h.RunStarted(RunStarted{Name: "x"}),
		h.System("retry", System{RetryCount: Ptr(1)}),      // system always passes
		h.Emit("my.thing", nil, WithLevel(LevelMilestone)), // an explicit level counts
	}
	for _, id := range filtered {
		if id != "" {
			t.Fatal("an event finer than the verbosity was queued")
		}
	}
	if err := h.Close(testContext(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	if stats := h.Stats(); stats.Filtered != 3 || stats.Delivered != 4 {
		t.Fatalf("stats %+v", stats)
	}
	var types []string
	for _, event := range allEvents(t, server.url(), "verbosity") {
		types = append(types, event.Type)
	}
	if !equalStrings(types, []string{"decision", "run.started", "system.retry", "my.thing"}) || !equalStrings(ids(allEvents(t, server.url(), "verbosity")), kept) {
		t.Fatalf("stored %v", types)
	}
}

func TestEmitterFlushWaitsForEverythingBeforeIt(t *testing.T) {
	server := startHerald(t)
	h := newTestEmitter(t, EmitterOptions{BaseURL: server.url(), Run: "flush", Agent: "w", Linger: 5 * time.Second}) // flush must cut the linger
	for i := 0; i < 10; i++ {
		h.AgentLog(AgentLog{Line: fmt.Sprint(i)})
	}
	start := time.Now()
	if err := h.Flush(testContext(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 4*time.Second {
		t.Fatalf("flush waited out the linger: %v", took)
	}
	if stored := allEvents(t, server.url(), "flush"); len(stored) != 10 {
		t.Fatalf("%d events stored after flush", len(stored))
	}
}

func TestEmitterSplitsABatchTooLargeForTheServer(t *testing.T) {
	server := startHerald(t, "--max-body-bytes", "4096")
	h := newTestEmitter(t, EmitterOptions{BaseURL: server.url(), Run: "split", Agent: "w", Linger: 200 * time.Millisecond})
	var emitted []string
	for i := 0; i < 60; i++ { // ~15 KB in one batch
		emitted = append(emitted, h.AgentLog(AgentLog{Line: fmt.Sprintf("%03d %s", i, strings.Repeat("x", 200))}))
	}
	tooBig := h.AgentLog(AgentLog{Line: strings.Repeat("y", 5000)}) // alone larger than a request may be
	if err := h.Close(testContext(t, 20*time.Second)); err != nil {
		t.Fatal(err)
	}
	if stats := h.Stats(); stats.Delivered != 60 || stats.Failed != 1 {
		t.Fatalf("stats %+v", stats)
	}
	stored := ids(allEvents(t, server.url(), "split"))
	if !equalStrings(stored, emitted) || tooBig == "" {
		t.Fatalf("stored %d events in another order, or the large one", len(stored))
	}
}

func TestEmitterWaitsForRetryAfterWhenRateLimited(t *testing.T) {
	server := startHerald(t, "--rate-limit", "50", "--rate-burst", "50")
	h := newTestEmitter(t, EmitterOptions{BaseURL: server.url(), Run: "limited", Agent: "w", Linger: -1})
	for i := 0; i < 100; i++ { // one request may overdraw the bucket: the next must wait
		h.AgentLog(AgentLog{Line: fmt.Sprint(i)})
	}
	if err := h.Flush(testContext(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var later []string
	for i := 0; i < 5; i++ {
		later = append(later, h.AgentLog(AgentLog{Line: fmt.Sprint("later ", i)}))
	}
	if err := h.Flush(testContext(t, 20*time.Second)); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 500*time.Millisecond {
		t.Fatalf("delivered after %v: it did not wait for the server's Retry-After", took)
	}
	if stats := h.Stats(); stats.Delivered != 105 || stats.Failed != 0 {
		t.Fatalf("stats %+v", stats)
	}
	stored := ids(allEvents(t, server.url(), "limited"))
	if !equalStrings(stored[len(stored)-5:], later) {
		t.Fatal("the last five are not the later ones")
	}
}

func TestEmitterBadCredentialsAreFinalAndLoud(t *testing.T) {
	dir := t.TempDir()
	key := strings.Fields(runHerald(t, "keys", "create", "--data", dir+"/data", "--project", "default", "--role", "publish"))[0]
	server := &testServer{t: t, data: dir + "/data"}
	server.start()
	t.Cleanup(func() { server.stop(syscall.SIGKILL) })

	logs, logger := newLogBuffer()
	anonymous := newTestEmitter(t, EmitterOptions{BaseURL: server.url(), Run: "auth", Agent: "w", Logger: logger})
	anonymous.AgentLog(AgentLog{Line: "refused"})
	start := time.Now()
	if err := anonymous.Close(testContext(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > 2*time.Second {
		t.Fatal("a 401 was retried")
	}
	if stats := anonymous.Stats(); stats.Delivered != 0 || stats.Failed != 1 {
		t.Fatalf("stats %+v", stats)
	}
	if !strings.Contains(logs.String(), "401") || !strings.Contains(logs.String(), "error") {
		t.Fatalf("the 401 is not logged as an error:\n%s", logs)
	}
	keyed := newTestEmitter(t, EmitterOptions{BaseURL: server.url(), Key: key, Run: "auth", Agent: "w"})
	keyed.AgentLog(AgentLog{Line: "accepted"})
	if err := keyed.Close(testContext(t, 10*time.Second)); err != nil || keyed.Stats().Delivered != 1 {
		t.Fatalf("with the key: %v, %+v", err, keyed.Stats())
	}
	client, _ := NewClient(ClientOptions{BaseURL: server.url(), Key: key})
	events, err := client.AllEvents(testContext(t, 10*time.Second), "auth", EventsQuery{})
	if err != nil || len(events) != 1 {
		t.Fatalf("%v, %d events", err, len(events))
	}
}

func TestEmitterBindSharesTheQueueWithItsOwnDefaults(t *testing.T) {
	server := startHerald(t)
	h := newTestEmitter(t, EmitterOptions{BaseURL: server.url(), Agent: "service"})
	a, b := h.Bind(Defaults{Run: "job-a"}), h.Bind(Defaults{Run: "job-b", Agent: "worker"})
	a.StepStarted(StepStarted{StepID: "lint"})
	b.AgentLog(AgentLog{Line: "hello"})
	a.Bind(Defaults{Agent: "other"}).Emit("my.thing", map[string]int{"n": 1})
	if h.Emit("my.thing", nil) != "" {
		t.Fatal("an event without a run was queued")
	}
	if err := b.Close(testContext(t, 10*time.Second)); err != nil { // a view's Close closes the shared emitter
		t.Fatal(err)
	}
	if stats := h.Stats(); stats.Delivered != 3 || stats.Failed != 1 {
		t.Fatalf("stats %+v", stats)
	}
	jobA := allEvents(t, server.url(), "job-a")
	jobB := allEvents(t, server.url(), "job-b")
	if len(jobA) != 2 || jobA[0].Agent != "service" || jobA[1].Agent != "other" || len(jobB) != 1 || jobB[0].Agent != "worker" {
		t.Fatalf("job-a %+v, job-b %+v", jobA, jobB)
	}
}

func TestEmitterWritesTheEventsOwnFields(t *testing.T) {
	server := startHerald(t)
	h := newTestEmitter(t, EmitterOptions{BaseURL: server.url(), Run: "fields", Agent: "w", Project: "acme"})
	cause := h.RunStarted(RunStarted{Name: "fields \"quoted\" \u00e9\n"})
	h.TaskStarted(TaskStarted{TaskID: "t1"}, CausedBy(cause, ""), WithTurn(3), WithExtra(map[string]interface{}{"taskId": "loses", "extra": 1}))
	fixed := h.Emit("my.thing", nil, WithID("01ARZ3NDEKTSV4RRFFQ69G5FAV"))
	if err := h.Close(testContext(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	client, _ := NewClient(ClientOptions{BaseURL: server.url(), Project: "acme"})
	events, err := client.AllEvents(testContext(t, 10*time.Second), "fields", EventsQuery{})
	if err != nil || len(events) != 3 {
		t.Fatalf("%v, %d events", err, len(events))
	}
	var started RunStarted
	_ = events[0].DecodeData(&started)
	task := events[1]
	if started.Name != "fields \"quoted\" \u00e9\n" || events[0].Project != "acme" || task.Turn == nil || *task.Turn != 3 ||
		!equalStrings(task.CausedBy, []string{cause}) || string(task.Data) != `{"extra":1,"taskId":"t1"}` || events[2].ID != fixed {
		t.Fatalf("stored %+v", events)
	}
}

func TestEmitterIDsAreULIDsThatIncreaseStrictly(t *testing.T) {
	maker := newULIDMaker()
	now := time.Now()
	previous := ""
	for i := 0; i < 10000; i++ {
		at := now
		if i%1000 == 999 {
			at = now.Add(-time.Second) // a clock that goes back keeps the last millisecond
		}
		id := maker.make(at)
		if len(id) != 26 || id <= previous || strings.Trim(id, crockford) != "" || id[0] > '7' {
			t.Fatalf("id %d: %q after %q", i, id, previous)
		}
		previous = id
	}
	// The time part of the ULID specification's own example.
	fresh := newULIDMaker().make(time.UnixMilli(1469918176385))
	if fresh[:10] != "01ARYZ6S41" {
		t.Fatalf("time part %s, the ULID specification says 01ARYZ6S41", fresh[:10])
	}
}
