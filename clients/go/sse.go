package herald

import (
	"bufio"
	"bytes"
	"io"
	"strconv"
	"strings"
	"time"
)

// sseFrame is one dispatched Server-Sent Event, or a comment (a heartbeat).
type sseFrame struct {
	comment bool
	event   string // "message" when the frame named none
	data    string
	id      string // the last id seen when the frame was dispatched (the WHATWG rule)
}

// sseReader splits a stream into frames by the WHATWG EventSource rules: lines end in CR LF,
// LF or CR; a blank line dispatches; `id:` (without NUL) sets the last id, which carries over
// to later frames; `retry:` is kept; lines starting with ':' are comments.
type sseReader struct {
	lines  *bufio.Scanner
	lastID string
	retry  time.Duration
	event  string
	data   []string
}

// maxSSELine bounds one line of the stream (an event's JSON is one line).
const maxSSELine = 64 << 20

func newSSEReader(stream io.Reader, lastID string) *sseReader {
	lines := bufio.NewScanner(stream)
	lines.Buffer(make([]byte, 0, 64<<10), maxSSELine)
	lines.Split(splitSSELines)
	return &sseReader{lines: lines, lastID: lastID}
}

// next returns the next frame or comment; io.EOF when the stream ended (a frame without its
// blank line is dropped, as the rules say).
func (r *sseReader) next() (sseFrame, error) {
	for r.lines.Scan() {
		line := r.lines.Text()
		if line == "" {
			if r.data == nil {
				r.event = ""
				continue
			}
			frame := sseFrame{event: firstOf(r.event, "message"), data: strings.Join(r.data, "\n"), id: r.lastID}
			r.event, r.data = "", nil
			return frame, nil
		}
		if line[0] == ':' {
			return sseFrame{comment: true, id: r.lastID}, nil
		}
		name, value := line, ""
		if colon := strings.IndexByte(line, ':'); colon >= 0 {
			name, value = line[:colon], strings.TrimPrefix(line[colon+1:], " ")
		}
		switch name {
		case "data":
			r.data = append(r.data, value)
		case "event":
			r.event = value
		case "id":
			if !strings.ContainsRune(value, 0) {
				r.lastID = value
			}
		case "retry":
			if milliseconds, err := strconv.ParseUint(value, 10, 31); err == nil {
				r.retry = time.Duration(milliseconds) * time.Millisecond
			}
		}
	}
	if err := r.lines.Err(); err != nil {
		return sseFrame{}, err
	}
	return sseFrame{}, io.EOF
}

// splitSSELines is a bufio.SplitFunc for lines ending in CR LF, LF or a lone CR.
func splitSSELines(data []byte, atEOF bool) (advance int, token []byte, err error) {
	if end := bytes.IndexAny(data, "\r\n"); end >= 0 {
		if data[end] == '\n' {
			return end + 1, data[:end], nil
		}
		if end+1 < len(data) {
			if data[end+1] == '\n' {
				return end + 2, data[:end], nil
			}
			return end + 1, data[:end], nil
		}
		if !atEOF {
			return 0, nil, nil // a CR at the end: wait to see whether an LF follows
		}
		return end + 1, data[:end], nil
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}
