package herald

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// ClientOptions configure a Client; zero values take the defaults.
type ClientOptions struct {
	// BaseURL is the server, default $HERALD_URL or http://127.0.0.1:7373.
	BaseURL string
	// Key is an API key or JWT sent as a bearer token, default $HERALD_TOKEN.
	Key string
	// Project names the project of the runs in run calls (sent as ?project=) and of published
	// events that name none; only a caller whose key reaches several projects needs it
	// (docs/notes/projects-and-runs.md).
	Project string
	// HTTPClient sends the requests (default: one with a 2 s connect timeout). Queries are
	// bounded by their context; streams by SubscribeOptions.ReadTimeout.
	HTTPClient *http.Client
}

// Client queries Herald and follows its live streams. It is safe for concurrent use.
//
//	client, _ := herald.NewClient(herald.ClientOptions{})
//	page, err := client.Events(ctx, "nightly-42", herald.EventsQuery{Types: []string{"step.*"}})
//
// Every failure is an *Error with the server's status, code, message and details.
type Client struct {
	*server
	project string
}

// NewClient makes a client; it does not connect until it is used.
func NewClient(options ClientOptions) (*Client, error) {
	s, err := newServer(options.BaseURL, options.Key, options.HTTPClient)
	if err != nil {
		return nil, err
	}
	return &Client{server: s, project: options.Project}, nil
}

// RunsQuery selects runs: Status "active" for the running ones; Limit and Cursor page.
type RunsQuery struct {
	Status  string
	Project string // default: the client's project
	Limit   int
	Cursor  string
}

// Runs answers one page of runs, newest first.
func (c *Client) Runs(ctx context.Context, query RunsQuery) (*RunsPage, error) {
	values := url.Values{}
	setText(values, "status", query.Status)
	setText(values, "project", firstOf(query.Project, c.project))
	setInt(values, "limit", int64(query.Limit))
	setText(values, "cursor", query.Cursor)
	var page RunsPage
	return &page, c.get(ctx, "/v1/runs", values, &page)
}

// Run answers one run: status, times, counts, agents, subscribers.
func (c *Client) Run(ctx context.Context, run string) (*Run, error) {
	var answer Run
	return &answer, c.get(ctx, "/v1/runs/"+run, c.projectQuery(), &answer)
}

// EventsQuery filters and pages a run's events: Types (with agent.* wildcards), Agents, Level,
// turns, producer times (RFC 3339), and After (a seq) with Limit.
type EventsQuery struct {
	Types, Agents    []string
	Level            Level
	TurnFrom, TurnTo *int
	Since, Until     string
	After            int64
	Limit            int
}

func (q EventsQuery) values() url.Values {
	values := url.Values{}
	setText(values, "types", strings.Join(q.Types, ","))
	setText(values, "agents", strings.Join(q.Agents, ","))
	setText(values, "level", string(q.Level))
	if q.TurnFrom != nil {
		values.Set("turnFrom", strconv.Itoa(*q.TurnFrom))
	}
	if q.TurnTo != nil {
		values.Set("turnTo", strconv.Itoa(*q.TurnTo))
	}
	setText(values, "since", q.Since)
	setText(values, "until", q.Until)
	setInt(values, "after", q.After)
	setInt(values, "limit", int64(q.Limit))
	return values
}

// Events answers one page of a run's events matching the query; continue with After set to
// the last seq while HasMore.
func (c *Client) Events(ctx context.Context, run string, query EventsQuery) (*EventsPage, error) {
	values := query.values()
	setText(values, "project", c.project)
	var page EventsPage
	return &page, c.get(ctx, "/v1/runs/"+run+"/events", values, &page)
}

// AllEvents answers every event of a run matching the query from query.After on, a page
// (query.Limit, or the server's default) at a time.
func (c *Client) AllEvents(ctx context.Context, run string, query EventsQuery) ([]Event, error) {
	var events []Event
	for {
		page, err := c.Events(ctx, run, query)
		if err != nil {
			return events, err
		}
		events = append(events, page.Events...)
		if !page.HasMore || len(page.Events) == 0 {
			return events, nil
		}
		query.After = page.Events[len(page.Events)-1].Seq
	}
}

// Event answers one event by id.
func (c *Client) Event(ctx context.Context, run, id string) (*Event, error) {
	var event Event
	return &event, c.get(ctx, "/v1/runs/"+run+"/events/"+id, c.projectQuery(), &event)
}

// Causality answers what led to an event and what followed from it.
func (c *Client) Causality(ctx context.Context, run, id string) (*Causality, error) {
	var answer Causality
	return &answer, c.get(ctx, "/v1/runs/"+run+"/events/"+id+"/causality", c.projectQuery(), &answer)
}

// Publish posts events at once, all or nothing, and answers where they were stored. For a
// producer's loop use an Emitter, which never blocks and retries; this is for scripts and
// request handlers. Events that name no project get the client's.
func (c *Client) Publish(ctx context.Context, events []NewEvent) (*Published, error) {
	var body bytes.Buffer
	encoder := json.NewEncoder(&body)
	for _, event := range events {
		if event.Project == "" {
			event.Project = c.project
		}
		if err := encoder.Encode(event); err != nil {
			return nil, err
		}
	}
	var answer Published
	return &answer, c.do(ctx, http.MethodPost, "/v1/events", nil, body.Bytes(), "application/x-ndjson", &answer)
}

func (c *Client) projectQuery() url.Values {
	values := url.Values{}
	setText(values, "project", c.project)
	return values
}

func (c *Client) get(ctx context.Context, path string, query url.Values, answer interface{}) error {
	return c.do(ctx, http.MethodGet, path, query, nil, "", answer)
}

func (c *Client) do(ctx context.Context, method, path string, query url.Values, body []byte, contentType string, answer interface{}) error {
	request, err := c.newRequest(ctx, method, c.endpoint(path, query), body, contentType)
	if err != nil {
		return err
	}
	request.Header.Set("Accept", "application/json")
	response, err := c.client.Do(request)
	if err != nil {
		return unreachable(c.origin, err)
	}
	defer response.Body.Close()
	text, err := io.ReadAll(io.LimitReader(response.Body, maxAnswerBytes))
	if err != nil {
		return unreachable(c.origin, err)
	}
	if response.StatusCode != http.StatusOK {
		return errorFromResponse(response.StatusCode, response.Header, text)
	}
	if err := json.Unmarshal(text, answer); err != nil {
		return &Error{Status: response.StatusCode, Code: "bad_answer", Message: "the answer is not Herald's JSON: " + err.Error(), cause: err}
	}
	return nil
}

func setText(values url.Values, name, value string) {
	if value != "" {
		values.Set(name, value)
	}
}

func setInt(values url.Values, name string, value int64) {
	if value > 0 {
		values.Set(name, strconv.FormatInt(value, 10))
	}
}

// errorStatus is the HTTP status of an *Error, 0 for anything else.
func errorStatus(err error) int {
	var refusal *Error
	if errors.As(err, &refusal) {
		return refusal.Status
	}
	return 0
}
