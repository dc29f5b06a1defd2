package herald

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"math/rand"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// SubscribeOptions choose a live stream and how a Subscription follows it.
type SubscribeOptions struct {
	// Run follows one run, to its end. Project alone follows a whole project until closed
	// (run lifecycle, tasks, steps, agents, and the log lines of the runs in Logs); with Run it
	// names the run's project (?project=). Neither: the client's project.
	Run, Project string
	// After resumes after a seq (run) or a project position (project); 0 reads from the start.
	After int64
	// FromNow starts at the end instead (when After is 0).
	FromNow bool
	// Types (agent.* wildcards), Agents and Level filter the stream, as they do queries. A run
	// stream still delivers the run's terminal event.
	Types, Agents []string
	Level         Level
	// Logs names, on a project stream, the runs whose agent.log lines to include ("all": every run).
	Logs []string
	// Wait waits for a run that has no event yet instead of failing with 404.
	Wait bool
	// Heartbeats also hands over a Heartbeat for each heartbeat of a quiet stream (for relays
	// that must keep their own client's connection alive).
	Heartbeats bool
	// MaxFailures ends the subscription with the last error after this many failed
	// connections in a row (default 0: keep trying, each failure logged).
	MaxFailures int
	// ReadTimeout is how long a silent connection is trusted (default 45 s, three of the
	// server's heartbeats); past it, it is dropped and resumed.
	ReadTimeout time.Duration
	// MaxBackoff is the longest pause between two connection attempts (default 30 s).
	MaxBackoff time.Duration
	// Logger receives reconnection warnings (default log.Default()).
	Logger *log.Logger
}

// Item is what a Subscription hands over: an Event, a Gap, a Connected notice (project
// streams), or a Heartbeat (when asked for).
type Item interface{ isItem() }

// Gap is a stream's in-band notice (herald.gap) that it continues after ContinuesAfter instead
// of where the reader asked: the resume point was ahead of the stream (Reason "ahead") or
// retention deleted what lay between ("retention"). Never a silent skip.
type Gap struct {
	Reason         string `json:"reason"`
	Requested      int64  `json:"requested"`
	ContinuesAfter int64  `json:"continuesAfter"`
	Message        string `json:"message"`
}

// Connected is a project stream's first notice (herald.connected): the runs active now (their
// names, and each with its title, status, agents and times, so a board labels them without a
// query per run) and the project position the stream starts from. Data holds the whole notice.
type Connected struct {
	Project    string          `json:"project"`
	ActiveRuns []string        `json:"activeRuns"`
	Runs       []Run           `json:"runs"`
	Position   int64           `json:"position"`
	Data       json.RawMessage `json:"-"`
}

// Heartbeat is a heartbeat of a quiet stream (handed over only with SubscribeOptions.Heartbeats).
type Heartbeat struct{}

func (Event) isItem()     {}
func (Gap) isItem()       {}
func (Connected) isItem() {}
func (Heartbeat) isItem() {}

// Subscription follows a live stream and survives disconnects: it resumes with Last-Event-ID
// from the last item handed over (no gap, no duplicate), after any failure with backoff (1 s
// doubling to MaxBackoff, jittered; reset once a stream is open). Next hands items over one at
// a time, reading the connection only when asked: nothing is read ahead of the caller, so the
// resume point is exactly what the caller has seen, and a caller that stops calling Next holds
// one idle connection, no goroutine. Use it from one goroutine; Close may come from any.
//
//	sub, err := client.Subscribe(ctx, herald.SubscribeOptions{Run: "nightly-42"})
//	for {
//		item, err := sub.Next()
//		if err == io.EOF { break } // the run ended
//		if err != nil { return err }
//		switch it := item.(type) {
//		case herald.Event: fmt.Println(it.Seq, it.Type)
//		case herald.Gap: fmt.Println("continues after", it.ContinuesAfter)
//		}
//	}
type Subscription struct {
	client   *Client
	options  SubscribeOptions
	isRun    bool
	target   string // the stream's path
	query    url.Values
	ctx      context.Context
	cancel   context.CancelFunc
	log      logger
	jitter   *rand.Rand
	failures int
	ended    bool

	connection *streamConnection

	mu          sync.Mutex
	lastEventID string
	reconnects  int
	closed      bool
}

// streamConnection is one open stream: its body, its frames, and the watchdog that drops it
// when it stays silent past the read timeout.
type streamConnection struct {
	body     io.Closer
	frames   *sseReader
	watchdog *time.Timer
	cancel   context.CancelFunc
}

func (c *streamConnection) close() {
	c.watchdog.Stop()
	c.cancel()
	c.body.Close()
}

// Subscribe follows a run (options.Run) or a whole project live. The subscription connects
// on the first Next and lives until the run's end, Close, or ctx's end.
func (c *Client) Subscribe(ctx context.Context, options SubscribeOptions) (*Subscription, error) {
	query := url.Values{}
	setText(query, "types", strings.Join(options.Types, ","))
	setText(query, "agents", strings.Join(options.Agents, ","))
	setText(query, "level", string(options.Level))
	s := &Subscription{client: c, options: options, isRun: options.Run != "", query: query,
		log: logger{options.Logger}, jitter: rand.New(rand.NewSource(time.Now().UnixNano()))}
	if s.isRun {
		s.target = "/v1/runs/" + options.Run + "/stream"
		setText(query, "project", firstOf(options.Project, c.project))
		if options.Wait {
			query.Set("wait", "1")
		}
	} else {
		project := firstOf(options.Project, c.project)
		if project == "" {
			return nil, errors.New("herald: subscribe to a run (Run) or a project (Project)")
		}
		s.target = "/v1/projects/" + project + "/stream"
		setText(query, "logs", strings.Join(options.Logs, ","))
	}
	if s.options.ReadTimeout <= 0 {
		s.options.ReadTimeout = 45 * time.Second
	}
	if s.options.MaxBackoff <= 0 {
		s.options.MaxBackoff = 30 * time.Second
	}
	if options.After > 0 {
		s.lastEventID = strconv.FormatInt(options.After, 10)
	}
	s.ctx, s.cancel = context.WithCancel(ctx)
	return s, nil
}

// Next returns the next item. It returns io.EOF when the subscription is over (a run's
// terminal event was handed over, the server answered 204 for a run that is over, or Close
// was called), ctx's error when ctx ended, and an *Error for what retrying cannot fix
// (401, 403, 404 — a run that does not exist yet, unless Wait — and other 4xx but 408/429) or
// after MaxFailures failed connections in a row.
func (s *Subscription) Next() (Item, error) {
	for {
		if s.ended || s.isClosed() {
			s.drop()
			return nil, io.EOF
		}
		if err := s.ctx.Err(); err != nil {
			s.drop()
			return nil, err
		}
		if s.connection == nil {
			err := s.connect()
			if err == errStreamOver {
				s.ended = true
				continue
			}
			if err != nil {
				if s.ctx.Err() != nil {
					continue
				}
				if final := s.afterFailure(err); final != nil {
					s.ended = true
					return nil, final
				}
				continue
			}
			s.failures = 0
		}
		frame, err := s.connection.frames.next()
		if err != nil {
			// Dropped, closed by the server (lifetime cap, shutdown) or silent past the read
			// timeout: resume within the server's retry hint, capped and jittered as
			// EventSource does.
			retry := s.connection.frames.retry
			s.drop()
			s.mu.Lock()
			s.reconnects++
			s.mu.Unlock()
			if retry <= 0 || retry > 250*time.Millisecond {
				retry = 250 * time.Millisecond
			}
			s.sleep(time.Duration(s.jitter.Int63n(int64(retry))))
			continue
		}
		if item := s.item(frame); item != nil {
			return item, nil
		}
	}
}

// LastEventID is where the subscription would resume: the id of the last item handed over.
func (s *Subscription) LastEventID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastEventID
}

// Reconnects is how often the stream was resumed after an open stream ended or dropped.
func (s *Subscription) Reconnects() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reconnects
}

// Close ends the subscription, also from another goroutine: a Next in progress returns io.EOF.
func (s *Subscription) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
}

func (s *Subscription) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// errStreamOver is the server's 204: the run is over and everything was delivered.
var errStreamOver = errors.New("herald: the stream is over")

func (s *Subscription) connect() error {
	lastEventID := s.LastEventID()
	if lastEventID == "" && s.options.FromNow && s.isRun {
		// "Now" becomes the run's last seq before connecting, so a reconnect neither repeats
		// nor skips (0 for a run that has no event yet).
		run, err := s.client.Run(s.ctx, s.options.Run)
		switch {
		case err == nil:
			lastEventID = strconv.FormatInt(run.LastSeq, 10)
		case errorStatus(err) == http.StatusNotFound:
			lastEventID = "0"
		default:
			return err
		}
		s.setLastEventID(lastEventID)
	}
	query := url.Values{}
	for name, values := range s.query {
		query[name] = values
	}
	if lastEventID == "" && s.options.FromNow {
		query.Set("from", "now")
	}
	ctx, cancel := context.WithCancel(s.ctx)
	request, err := s.client.newRequest(ctx, http.MethodGet, s.client.endpoint(s.target, query), nil, "")
	if err != nil {
		cancel()
		return err
	}
	request.Header.Set("Accept", "text/event-stream")
	request.Header.Set("Cache-Control", "no-cache")
	if lastEventID != "" {
		request.Header.Set("Last-Event-ID", lastEventID)
	}
	// The watchdog covers the wait for the answer too, and is pushed back by every read.
	watchdog := time.AfterFunc(s.options.ReadTimeout, cancel)
	response, err := s.client.client.Do(request)
	if err != nil {
		watchdog.Stop()
		cancel()
		return unreachable(s.client.origin, err)
	}
	switch response.StatusCode {
	case http.StatusOK:
		body := &watchedBody{body: response.Body, watchdog: watchdog, timeout: s.options.ReadTimeout}
		s.connection = &streamConnection{body: response.Body, frames: newSSEReader(body, lastEventID), watchdog: watchdog, cancel: cancel}
		return nil
	case http.StatusNoContent:
		watchdog.Stop()
		response.Body.Close()
		cancel()
		return errStreamOver
	}
	text, _ := io.ReadAll(io.LimitReader(response.Body, 1<<20))
	watchdog.Stop()
	response.Body.Close()
	cancel()
	return errorFromResponse(response.StatusCode, response.Header, text)
}

// afterFailure returns the error to end with, or nil after waiting out the backoff.
func (s *Subscription) afterFailure(err error) error {
	status := errorStatus(err)
	if status >= 400 && status < 500 && status != http.StatusRequestTimeout && status != http.StatusTooManyRequests {
		return err // 401, 403, 404, a bad filter: retrying cannot fix it
	}
	s.failures++
	if s.options.MaxFailures > 0 && s.failures >= s.options.MaxFailures {
		return err
	}
	delay := backoff(s.failures, time.Second, s.options.MaxBackoff, s.jitter)
	var refusal *Error
	if errors.As(err, &refusal) && refusal.RetryAfter > delay {
		delay = refusal.RetryAfter
	}
	s.log.warnf("stream %s: %v; retrying in %.1f s (attempt %d)", s.target, err, delay.Seconds(), s.failures+1)
	s.sleep(delay)
	return nil
}

// item turns a frame into what Next hands over (nil for frames the caller did not ask for),
// moving the resume point to it.
func (s *Subscription) item(frame sseFrame) Item {
	if frame.comment {
		if s.options.Heartbeats {
			return Heartbeat{}
		}
		return nil
	}
	s.setLastEventID(frame.id)
	switch frame.event {
	case "herald.connected":
		var connected Connected
		if err := json.Unmarshal([]byte(frame.data), &connected); err != nil {
			s.log.warnf("stream %s: unreadable herald.connected notice: %v", s.target, err)
			return nil
		}
		connected.Data = json.RawMessage(frame.data)
		if frame.id == "" && s.options.FromNow {
			// "Now" becomes a position at once, so a reconnect resumes from it.
			s.setLastEventID(strconv.FormatInt(connected.Position, 10))
		}
		return connected
	case "herald.gap":
		var gap Gap
		if err := json.Unmarshal([]byte(frame.data), &gap); err != nil {
			s.log.warnf("stream %s: unreadable herald.gap notice: %v", s.target, err)
			return nil
		}
		return gap
	}
	var event Event
	if err := json.Unmarshal([]byte(frame.data), &event); err != nil {
		s.log.warnf("stream %s: unreadable %s event: %v", s.target, frame.event, err)
		return nil
	}
	if s.isRun && event.IsTerminal() {
		s.ended = true // a run stream ends right after its run's end
	}
	return event
}

func (s *Subscription) setLastEventID(id string) {
	s.mu.Lock()
	s.lastEventID = id
	s.mu.Unlock()
}

func (s *Subscription) drop() {
	if s.connection != nil {
		s.connection.close()
		s.connection = nil
	}
}

// sleep waits, or less when the subscription ends meanwhile.
func (s *Subscription) sleep(delay time.Duration) {
	timer := time.NewTimer(delay)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-s.ctx.Done():
	}
}

// watchedBody pushes the watchdog back at every read that brings bytes.
type watchedBody struct {
	body     io.Reader
	watchdog *time.Timer
	timeout  time.Duration
}

func (b *watchedBody) Read(p []byte) (int, error) {
	n, err := b.body.Read(p)
	if n > 0 {
		b.watchdog.Reset(b.timeout)
	}
	return n, err
}
