package herald

import (
	"encoding/json"
	"time"
)

// Event is one stored event, as the server answers and streams it.
type Event struct {
	ID       string          `json:"id"`
	Project  string          `json:"project"`
	Run      string          `json:"run"`
	Seq      int64           `json:"seq"`
	Type     string          `json:"type"`
	Level    Level           `json:"level"`
	Time     string          `json:"time"`
	Agent    string          `json:"agent,omitempty"`
	Turn     *int            `json:"turn,omitempty"`
	CausedBy []string        `json:"causedBy,omitempty"`
	Data     json.RawMessage `json:"data,omitempty"`
	// Position is the event's place in the whole store: the resume token of project streams.
	Position int64 `json:"position,omitempty"`
}

// IsTerminal reports whether the event ends its run: run.completed, run.failed, run.cancelled.
func (e Event) IsTerminal() bool { return TerminalTypes[e.Type] }

// DecodeData decodes the event's data into v, e.g. a typed helper's struct:
//
//	var progress herald.StepProgress
//	err := event.DecodeData(&progress)
func (e Event) DecodeData(v interface{}) error {
	if len(e.Data) == 0 {
		return json.Unmarshal([]byte("{}"), v)
	}
	return json.Unmarshal(e.Data, v)
}

// Timestamp is Time parsed (RFC 3339, UTC with microseconds).
func (e Event) Timestamp() (time.Time, error) { return time.Parse(time.RFC3339Nano, e.Time) }

// NewEvent is an event to publish with Client.Publish; the server fills what is left empty
// (id, time, level, project).
type NewEvent struct {
	ID       string      `json:"id,omitempty"`
	Project  string      `json:"project,omitempty"`
	Run      string      `json:"run"`
	Type     string      `json:"type"`
	Level    Level       `json:"level,omitempty"`
	Time     string      `json:"time,omitempty"`
	Agent    string      `json:"agent,omitempty"`
	Turn     *int        `json:"turn,omitempty"`
	CausedBy []string    `json:"causedBy,omitempty"`
	Data     interface{} `json:"data,omitempty"`
}

// Published is the server's answer to a publish: how many events were stored, how many were
// already stored (the same ids), and each one's place.
type Published struct {
	Accepted   int `json:"accepted"`
	Duplicates int `json:"duplicates"`
	Events     []struct {
		ID        string `json:"id"`
		Run       string `json:"run"`
		Seq       int64  `json:"seq"`
		Duplicate bool   `json:"duplicate,omitempty"`
	} `json:"events"`
}

// Run is one run: status, times, counts, agents, live subscribers.
type Run struct {
	Run         string   `json:"run"`
	Project     string   `json:"project"`
	Name        string   `json:"name,omitempty"`
	Status      string   `json:"status"`
	StartedAt   string   `json:"startedAt,omitempty"`
	UpdatedAt   string   `json:"updatedAt,omitempty"`
	FinishedAt  string   `json:"finishedAt,omitempty"`
	EventCount  int64    `json:"eventCount"`
	LastSeq     int64    `json:"lastSeq"`
	Agents      []string `json:"agents"`
	Subscribers int      `json:"subscribers"`
}

// RunsPage is one page of runs, newest first; NextCursor continues it ("" at the end).
type RunsPage struct {
	Runs       []Run  `json:"runs"`
	NextCursor string `json:"nextCursor,omitempty"`
}

// EventsPage is one page of a run's events: Total matching, HasMore after this page.
type EventsPage struct {
	Events  []Event `json:"events"`
	Total   int64   `json:"total"`
	HasMore bool    `json:"hasMore"`
}

// Causality is what led to an event and what followed from it, transitively; Dangling are
// causes that are not stored.
type Causality struct {
	Event      Event    `json:"event"`
	Upstream   []Event  `json:"upstream"`
	Downstream []Event  `json:"downstream"`
	Dangling   []string `json:"dangling"`
}
