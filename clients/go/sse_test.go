package herald

import (
	"io"
	"strings"
	"testing"
	"time"
)

// oneByteReader hands the stream over a byte at a time, so every line end is split across reads.
type oneByteReader struct{ text string }

func (r *oneByteReader) Read(p []byte) (int, error) {
	if r.text == "" {
		return 0, io.EOF
	}
	p[0] = r.text[0]
	r.text = r.text[1:]
	return 1, nil
}

func TestSSEReaderFollowsTheEventSourceRules(t *testing.T) {
	stream := "retry: 2000\r\n\r\n" +
		": heartbeat\n" +
		"id: 7\revent: agent.log\rdata: {\"a\":1}\r\r" + // lone CRs
		"data: first\r\ndata: second\r\n\r\n" + // CR LF, two data lines, the id carried over
		"id: bad\x00id\nevent: herald.gap\ndata:no space\n\n" + // an id with NUL is ignored
		"data: without its blank line"
	for name, reader := range map[string]io.Reader{"whole": strings.NewReader(stream), "byte by byte": &oneByteReader{stream}} {
		frames := newSSEReader(reader, "3")
		var got []sseFrame
		for {
			frame, err := frames.next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, frame)
		}
		want := []sseFrame{
			{comment: true, id: "3"},
			{event: "agent.log", data: `{"a":1}`, id: "7"},
			{event: "message", data: "first\nsecond", id: "7"},
			{event: "herald.gap", data: "no space", id: "7"},
		}
		if len(got) != len(want) {
			t.Fatalf("%s: frames %+v", name, got)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%s: frame %d is %+v, not %+v", name, i, got[i], want[i])
			}
		}
		if frames.retry != 2*time.Second {
			t.Fatalf("%s: retry %v", name, frames.retry)
		}
	}
}
