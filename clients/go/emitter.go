package herald

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// EmitterOptions configure an Emitter; zero values take the defaults.
type EmitterOptions struct {
	// BaseURL is the server, default $HERALD_URL or http://127.0.0.1:7373.
	BaseURL string
	// Key is an API key or JWT sent as a bearer token, default $HERALD_TOKEN.
	Key string
	// Run, Project and Agent are the defaults for events that name none (a run is required
	// somewhere: here, in Bind, or with WithRun).
	Run, Project, Agent string
	// Verbosity is the finest level emitted (default LevelDetail); finer events are counted
	// Filtered at the call and cost a comparison. LevelSystem events always pass.
	Verbosity Level
	// MaxBatchSize is the most events one request carries (default 500).
	MaxBatchSize int
	// Linger is how long the delivery goroutine waits for a fuller batch (default 5 ms;
	// negative: send at once).
	Linger time.Duration
	// BufferCapacity bounds the events held, queued and in flight (default 10,000); when it is
	// full, Emit drops the new event and counts it Dropped.
	BufferCapacity int
	// ShutdownTimeout is how long Close keeps delivering before it gives up (default 5 s).
	ShutdownTimeout time.Duration
	// MaxBackoff is the longest pause between two delivery attempts (default 5 s).
	MaxBackoff time.Duration
	// Logger receives refusals, retries and give-ups (default log.Default()).
	Logger *log.Logger
	// HTTPClient sends the batches (default: one with a 2 s connect timeout, so the emitter's
	// own backoff decides when to try again). Each request is given 30 s.
	HTTPClient *http.Client
}

// Stats says what became of the events given to an emitter. Emitted events were accepted into
// the buffer; each ends Delivered or Failed (refused, not encodable, or given up at Close), and
// Pending are not settled yet. Dropped (buffer full, or after Close) and Filtered (below the
// verbosity) never entered the buffer.
type Stats struct {
	Emitted, Delivered, Dropped, Failed, Filtered, Pending int64
}

// Emitter publishes a producer's events to Herald. Emit and the typed helpers never block and
// never panic: they check the level, make the event's id (a ULID, strictly increasing per
// emitter), encode its data, and append it to a bounded buffer. One delivery goroutine sends
// the buffer in batches, in emit order, retrying temporary failures with the same ids, so a
// lost answer never duplicates an event.
//
//	h, err := herald.NewEmitter(herald.EmitterOptions{Run: "nightly-42", Agent: "planner"})
//	if err != nil { ... }
//	defer h.Close(context.Background())
//	plan := h.Decision(herald.Decision{DecisionType: "plan", NewValue: []string{"fetch"}})
//	h.TaskStarted(herald.TaskStarted{TaskID: "t1", Title: "Fetch"}, herald.CausedBy(plan))
//
// An Emitter is safe for concurrent use. Bind makes views with other defaults that share its
// buffer, delivery goroutine and Stats.
type Emitter struct {
	core                *emitterCore
	run, agent, project string
}

// pending is one emitted event waiting in the buffer; its JSON line is written by the
// delivery goroutine.
type pending struct {
	id, run, eventType, agent, project string
	level                              Level // only when the producer named one
	micros                             int64
	turn                               int
	hasTurn                            bool
	causedBy                           []string
	data                               []byte
}

// emitterCore is what an Emitter and its views share.
type emitterCore struct {
	maxRank         int
	capacity        int64
	maxBatch        int
	linger          time.Duration
	shutdownTimeout time.Duration
	maxBackoff      time.Duration
	log             logger
	sink            *httpSink

	filtered int64 // atomic: a filtered call takes no lock

	mu                                           sync.Mutex
	ids                                          *ulidMaker
	queue                                        []pending
	emitted, delivered, dropped, failed, settled int64
	accepting, abandoned, closed                 bool
	flushes                                      int
	settledChanged                               chan struct{} // closed and replaced at every settle
	wake, full                                   chan struct{}
	stop                                         chan struct{} // closed when delivery must end
	deliveryContext                              context.Context
	cancelDelivery                               context.CancelFunc
	deliveryDone                                 chan struct{}
}

// NewEmitter starts an emitter and its delivery goroutine; Close it to deliver what is left.
func NewEmitter(options EmitterOptions) (*Emitter, error) {
	if options.Verbosity == "" {
		options.Verbosity = LevelDetail
	}
	switch options.Verbosity {
	case LevelMilestone, LevelDecision, LevelAction, LevelState, LevelDetail:
	default:
		return nil, fmt.Errorf("herald: verbosity must be milestone, decision, action, state or detail, not %q", options.Verbosity)
	}
	sink, err := newHTTPSink(options.BaseURL, options.Key, options.HTTPClient)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	core := &emitterCore{
		maxRank:         options.Verbosity.rank(),
		capacity:        int64(positiveOr(options.BufferCapacity, 10000)),
		maxBatch:        positiveOr(options.MaxBatchSize, 500),
		linger:          durationOr(options.Linger, 5*time.Millisecond),
		shutdownTimeout: durationOr(options.ShutdownTimeout, 5*time.Second),
		maxBackoff:      durationOr(options.MaxBackoff, 5*time.Second),
		log:             logger{options.Logger},
		sink:            sink,
		ids:             newULIDMaker(),
		accepting:       true,
		settledChanged:  make(chan struct{}),
		wake:            make(chan struct{}, 1),
		full:            make(chan struct{}, 1),
		stop:            make(chan struct{}),
		deliveryContext: ctx,
		cancelDelivery:  cancel,
		deliveryDone:    make(chan struct{}),
	}
	go core.deliverLoop()
	return &Emitter{core: core, run: options.Run, agent: options.Agent, project: options.Project}, nil
}

// Defaults are the run, agent and project a Bind view gives events that name none; empty
// fields keep the emitter's.
type Defaults struct {
	Run, Agent, Project string
}

// Bind returns a view of the emitter with other defaults, sharing its buffer, ids, delivery
// goroutine and Stats: for a service whose requests each publish to their own run.
//
//	job := shared.Bind(herald.Defaults{Run: jobID, Agent: "pipeline"})
//	job.StepStarted(herald.StepStarted{StepID: "lint"})
//
// Closing a view closes the emitter it shares.
func (e *Emitter) Bind(defaults Defaults) *Emitter {
	view := *e
	if defaults.Run != "" {
		view.run = defaults.Run
	}
	if defaults.Agent != "" {
		view.agent = defaults.Agent
	}
	if defaults.Project != "" {
		view.project = defaults.Project
	}
	return &view
}

// Emit queues one event and returns its id, or "" when it was filtered, dropped or failed.
//
// data is anything encoding/json encodes to a JSON object (a map, a struct), or nil for none;
// it is encoded at the call, so later changes to it cannot leak into the event. A payload that
// cannot be encoded, or that is not an object, is logged and counted Failed. Emit never blocks
// and never panics.
func (e *Emitter) Emit(eventType string, data interface{}, options ...EmitOption) string {
	var fields eventFields
	for _, option := range options {
		if option != nil {
			option(&fields)
		}
	}
	return e.emit(eventType, data, &fields)
}

func (e *Emitter) emit(eventType string, data interface{}, fields *eventFields) (id string) {
	c := e.core
	level := fields.level
	if level == "" {
		level = defaultLevel(eventType)
	}
	if level.rank() > c.maxRank {
		atomic.AddInt64(&c.filtered, 1)
		return ""
	}
	defer func() {
		// A MarshalJSON method that panics must not take the producer down.
		if recovered := recover(); recovered != nil {
			c.fail(eventType, fmt.Errorf("panic while encoding: %v", recovered))
			id = ""
		}
	}()
	encoded, err := encodeData(data, fields.extra)
	if err != nil {
		c.fail(eventType, err)
		return ""
	}
	event := pending{
		run:       firstOf(fields.run, e.run),
		eventType: eventType,
		agent:     firstOf(fields.agent, e.agent),
		project:   firstOf(fields.project, e.project),
		level:     fields.level,
		turn:      fields.turn,
		hasTurn:   fields.hasTurn,
		causedBy:  fields.causedBy,
		data:      encoded,
	}
	if event.run == "" {
		c.fail(eventType, errors.New("no run: set EmitterOptions.Run, use Bind, or pass herald.WithRun"))
		return ""
	}
	now := time.Now()
	event.micros = now.UnixMicro()
	c.mu.Lock()
	if !c.accepting || c.emitted-c.settled >= c.capacity {
		c.dropped++
		c.mu.Unlock()
		return ""
	}
	event.id = fields.id
	if event.id == "" {
		event.id = c.ids.make(now)
	}
	c.queue = append(c.queue, event)
	c.emitted++
	queued := len(c.queue)
	c.mu.Unlock()
	if queued == 1 {
		signal(c.wake)
	}
	if queued == c.maxBatch {
		signal(c.full)
	}
	return event.id
}

// Stats returns the emitter's counters.
func (e *Emitter) Stats() Stats {
	c := e.core
	c.mu.Lock()
	defer c.mu.Unlock()
	return Stats{
		Emitted: c.emitted, Delivered: c.delivered, Dropped: c.dropped, Failed: c.failed,
		Filtered: atomic.LoadInt64(&c.filtered), Pending: c.emitted - c.settled,
	}
}

// Flush waits until every event emitted before the call is delivered or failed, cutting the
// linger short; it returns ctx's error if ctx ends first.
func (e *Emitter) Flush(ctx context.Context) error {
	c := e.core
	c.mu.Lock()
	target := c.emitted
	c.flushes++
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.flushes--
		c.mu.Unlock()
	}()
	signal(c.wake)
	signal(c.full)
	return c.waitSettled(ctx, target)
}

// waitSettled waits until `target` events are settled, or ctx ends.
func (c *emitterCore) waitSettled(ctx context.Context, target int64) error {
	for {
		c.mu.Lock()
		settled, changed := c.settled, c.settledChanged
		c.mu.Unlock()
		if settled >= target {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Close stops accepting events (later ones are counted Dropped), delivers what is held for up
// to ShutdownTimeout or until ctx ends, then gives up on the rest: counted Failed, logged, and
// told in the error. A delivery in flight at that moment is cancelled. Safe to call more than
// once; a view's Close closes the emitter it shares.
func (e *Emitter) Close(ctx context.Context) error {
	c := e.core
	c.mu.Lock()
	if c.closed || !c.accepting {
		c.mu.Unlock()
		<-c.deliveryDone
		return nil
	}
	c.accepting = false
	target := c.emitted
	c.mu.Unlock()
	signal(c.wake)
	signal(c.full)

	deadline, cancel := context.WithTimeout(ctx, c.shutdownTimeout)
	defer cancel()
	var gaveUp int64
	if c.waitSettled(deadline, target) != nil {
		c.mu.Lock()
		gaveUp = c.emitted - c.settled
		c.failed += gaveUp
		c.settled = c.emitted
		c.queue = nil
		c.abandoned = true
		c.mu.Unlock()
		c.log.errorf("shutdown gave up on %d undelivered event(s) after %v", gaveUp, c.shutdownTimeout)
	}
	close(c.stop)
	c.cancelDelivery()
	<-c.deliveryDone
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	if gaveUp > 0 {
		return fmt.Errorf("herald: shutdown gave up on %d undelivered event(s)", gaveUp)
	}
	return nil
}

// fail counts an event that could not be emitted and says why.
func (c *emitterCore) fail(eventType string, err error) {
	c.mu.Lock()
	c.failed++
	c.mu.Unlock()
	c.log.errorf("%s event not emitted: %v", eventType, err)
}

// encodeData encodes an event's payload, which must be a JSON object (or nothing), merged
// with extra fields; the payload's own fields win.
func encodeData(data interface{}, extra map[string]interface{}) ([]byte, error) {
	var encoded []byte
	if data != nil {
		var err error
		if encoded, err = json.Marshal(data); err != nil {
			return nil, err
		}
		if string(encoded) == "null" { // a nil map or pointer
			encoded = nil
		} else if encoded[0] != '{' {
			return nil, fmt.Errorf("data must encode to a JSON object, not %.40s", encoded)
		}
	}
	if len(extra) == 0 {
		return encoded, nil
	}
	merged := make(map[string]interface{}, len(extra))
	for name, value := range extra {
		merged[name] = value
	}
	if encoded != nil {
		var own map[string]json.RawMessage
		if err := json.Unmarshal(encoded, &own); err != nil {
			return nil, err
		}
		for name, value := range own {
			merged[name] = value
		}
	}
	return json.Marshal(merged)
}

// signal wakes a goroutine waiting on ch without ever blocking the caller.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

func firstOf(values ...string) string {
	for _, value := range values {
		if value != "" {
			return value
		}
	}
	return ""
}

func positiveOr(value, fallback int) int {
	if value > 0 {
		return value
	}
	return fallback
}

func durationOr(value, fallback time.Duration) time.Duration {
	if value == 0 {
		return fallback
	}
	if value < 0 {
		return 0
	}
	return value
}

func envOr(name, fallback string) string {
	if value := strings.TrimSpace(os.Getenv(name)); value != "" {
		return value
	}
	return fallback
}

// logger writes the library's messages to the caller's *log.Logger (or log.Default()).
type logger struct{ target *log.Logger }

func (l logger) output(severity, format string, args []interface{}) {
	target := l.target
	if target == nil {
		target = log.Default()
	}
	_ = target.Output(3, "herald: "+severity+": "+fmt.Sprintf(format, args...))
}

func (l logger) errorf(format string, args ...interface{}) { l.output("error", format, args) }
func (l logger) warnf(format string, args ...interface{})  { l.output("warning", format, args) }
