package herald

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"sort"
	"strings"
	"testing"
	"time"
)

// The cost of one call at the producer, each call timed on its own (the clock's own cost,
// measured, is subtracted) so the p50 and p99 are those of single calls, as in the Python
// client's bench_emit.py. The delivery goroutine runs beside the caller, as in production.
//
//	go test -run '^$' -bench Emit -benchtime 200000x
func timeCalls(b *testing.B, call func(i int)) {
	clockCost := time.Duration(1 << 62)
	for i := 0; i < 10000; i++ {
		start := time.Now()
		if took := time.Since(start); took < clockCost {
			clockCost = took
		}
	}
	samples := make([]time.Duration, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		call(i)
		samples[i] = time.Since(start) - clockCost
	}
	b.StopTimer()
	sort.Slice(samples, func(i, j int) bool { return samples[i] < samples[j] })
	b.ReportMetric(float64(samples[len(samples)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(samples[len(samples)*99/100].Nanoseconds()), "p99-ns")
}

func benchEmitter(b *testing.B, url string, verbosity Level) *Emitter {
	h, err := NewEmitter(EmitterOptions{BaseURL: url, Run: "bench", Agent: "w", Verbosity: verbosity,
		BufferCapacity: b.N + 1, ShutdownTimeout: 30 * time.Second, Logger: log.New(io.Discard, "", 0)})
	if err != nil {
		b.Fatal(err)
	}
	return h
}

var progress = map[string]interface{}{"stepId": "fetch", "percent": 40, "label": "3 of 7"}

func BenchmarkEmitServerDown(b *testing.B) {
	h := benchEmitter(b, fmt.Sprintf("http://127.0.0.1:%d", freePort(b)), LevelDetail)
	timeCalls(b, func(int) { h.Emit("my.progress", progress) })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_ = h.Close(ctx)
}

func BenchmarkEmitServerUp(b *testing.B) {
	server := startHerald(b)
	h := benchEmitter(b, server.url(), LevelDetail)
	timeCalls(b, func(int) { h.Emit("my.progress", progress) })
	if err := h.Close(context.Background()); err != nil || h.Stats().Delivered != int64(b.N) {
		b.Fatalf("%v %+v", err, h.Stats())
	}
}

func BenchmarkTypedHelperServerUp(b *testing.B) {
	server := startHerald(b)
	h := benchEmitter(b, server.url(), LevelDetail)
	timeCalls(b, func(int) { h.StepProgress(StepProgress{StepID: "fetch", Percent: 40, Label: "3 of 7"}) })
	if err := h.Close(context.Background()); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkEmitFiltered(b *testing.B) {
	h := benchEmitter(b, fmt.Sprintf("http://127.0.0.1:%d", freePort(b)), LevelMilestone)
	timeCalls(b, func(int) { h.Emit("agent.log", progress) })
	_ = h.Close(context.Background())
}

func BenchmarkTypedHelperFiltered(b *testing.B) {
	h := benchEmitter(b, fmt.Sprintf("http://127.0.0.1:%d", freePort(b)), LevelMilestone)
	timeCalls(b, func(int) { h.AgentLog(AgentLog{Line: "a line"}) })
	_ = h.Close(context.Background())
}

// BenchmarkSustainedDelivery emits b.N agent.log events (~200 bytes of data, as `herald bench
// ingest` sends) as fast as one emitter delivers them into a real server, from the first call
// to the acknowledgement of the last, without dropping any: the producer waits whenever the
// buffer is nearly full. The server is $HERALD_BENCH_URL, else a fresh `herald serve` of
// $HERALD_BIN.
//
//	HERALD_BIN=/tmp/herald-release/release/herald go test -run '^$' -bench Sustained -benchtime 300000x
func BenchmarkSustainedDelivery(b *testing.B) {
	url := os.Getenv("HERALD_BENCH_URL")
	if url == "" {
		url = startHerald(b, "--log-level", "error").url()
	}
	const capacity = 20000
	h, err := NewEmitter(EmitterOptions{BaseURL: url, Run: fmt.Sprintf("bench-%d", time.Now().UnixNano()), Agent: "w",
		BufferCapacity: capacity, ShutdownTimeout: time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	data := map[string]string{"line": strings.Repeat("x", 180)}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if i%500 == 0 {
			for h.Stats().Pending > capacity-1000 {
				time.Sleep(100 * time.Microsecond)
			}
		}
		h.Emit("agent.log", data)
	}
	if err := h.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
	took := time.Since(start)
	b.StopTimer()
	_ = h.Close(context.Background())
	if stats := h.Stats(); stats.Delivered != int64(b.N) || stats.Dropped != 0 || stats.Failed != 0 {
		b.Fatalf("stats %+v", stats)
	}
	b.ReportMetric(float64(b.N)/took.Seconds(), "events/s")
}
