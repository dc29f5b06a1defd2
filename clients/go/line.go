package herald

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// appendLine writes an event as one JSON object, the ingest shape: id, run, type, time (the
// emit time, RFC 3339 UTC with microseconds), then the optional fields.
func appendLine(line []byte, event *pending) []byte {
	line = append(line, `{"id":`...)
	line = appendQuoted(line, event.id)
	line = append(line, `,"run":`...)
	line = appendQuoted(line, event.run)
	line = append(line, `,"type":`...)
	line = appendQuoted(line, event.eventType)
	line = append(line, `,"time":"`...)
	line = time.UnixMicro(event.micros).UTC().AppendFormat(line, "2006-01-02T15:04:05.000000Z")
	line = append(line, '"')
	if event.project != "" {
		line = append(line, `,"project":`...)
		line = appendQuoted(line, event.project)
	}
	if event.level != "" {
		line = append(line, `,"level":`...)
		line = appendQuoted(line, string(event.level))
	}
	if event.agent != "" {
		line = append(line, `,"agent":`...)
		line = appendQuoted(line, event.agent)
	}
	if event.hasTurn {
		line = append(line, `,"turn":`...)
		line = strconv.AppendInt(line, int64(event.turn), 10)
	}
	if len(event.causedBy) > 0 {
		line = append(line, `,"causedBy":[`...)
		for i, id := range event.causedBy {
			if i > 0 {
				line = append(line, ',')
			}
			line = appendQuoted(line, id)
		}
		line = append(line, ']')
	}
	if event.data != nil {
		line = append(line, `,"data":`...)
		line = append(line, event.data...)
	}
	return append(line, '}')
}

const hexDigits = "0123456789abcdef"

// appendQuoted writes text as a JSON string; invalid UTF-8 becomes U+FFFD, as encoding/json does.
func appendQuoted(out []byte, text string) []byte {
	out = append(out, '"')
	for i := 0; i < len(text); {
		b := text[i]
		if b < utf8.RuneSelf {
			switch {
			case b == '"' || b == '\\':
				out = append(out, '\\', b)
			case b == '\n':
				out = append(out, '\\', 'n')
			case b == '\r':
				out = append(out, '\\', 'r')
			case b == '\t':
				out = append(out, '\\', 't')
			case b < 0x20:
				out = append(out, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&15])
			default:
				out = append(out, b)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		if r == utf8.RuneError && size == 1 {
			out = append(out, `\ufffd`...)
		} else {
			out = append(out, text[i:i+size]...)
		}
		i += size
	}
	return append(out, '"')
}
