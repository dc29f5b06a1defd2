package herald

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Error is a refusal from the server, with the status, code, message and details of its JSON
// error body, or a failure to reach it (Status 0, Code "unreachable", the cause in Unwrap).
//
//	var refusal *herald.Error
//	if errors.As(err, &refusal) && refusal.Status == 404 { … }
type Error struct {
	Status  int
	Code    string
	Message string
	Details []ErrorDetail
	// RetryAfter is the server's Retry-After (429, 503), zero when it named none.
	RetryAfter time.Duration
	cause      error
}

// ErrorDetail is one entry of an error's details: which event (Index, in a batch) and which
// field is wrong, and why.
type ErrorDetail struct {
	Index   *int   `json:"index,omitempty"`
	Field   string `json:"field,omitempty"`
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

func (e *Error) Error() string {
	if e.Status == 0 {
		return fmt.Sprintf("herald: %s: %s", e.Code, e.Message)
	}
	return fmt.Sprintf("herald: %d %s: %s", e.Status, e.Code, e.Message)
}

// Unwrap returns why no answer came (a connection error, a context's end), or nil.
func (e *Error) Unwrap() error { return e.cause }

// unreachable wraps a transport failure.
func unreachable(origin string, cause error) *Error {
	return &Error{Code: "unreachable", Message: fmt.Sprintf("%s: %v", origin, cause), cause: cause}
}

// errorFromResponse reads {"error": {"code", "message", "details"}}; another body keeps its text.
func errorFromResponse(status int, header http.Header, body []byte) *Error {
	refusal := &Error{Status: status, RetryAfter: retryAfter(header)}
	var envelope struct {
		Error *struct {
			Code    string        `json:"code"`
			Message string        `json:"message"`
			Details []ErrorDetail `json:"details"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &envelope) == nil && envelope.Error != nil {
		refusal.Code, refusal.Message, refusal.Details = envelope.Error.Code, envelope.Error.Message, envelope.Error.Details
		return refusal
	}
	text := strings.TrimSpace(string(body))
	if len(text) > 500 {
		text = text[:500]
	}
	if text == "" {
		text = http.StatusText(status)
	}
	refusal.Code, refusal.Message = "http_error", text
	return refusal
}

// retryAfter reads Retry-After as seconds or as an HTTP date.
func retryAfter(header http.Header) time.Duration {
	value := strings.TrimSpace(header.Get("Retry-After"))
	if value == "" {
		return 0
	}
	if seconds, err := strconv.ParseFloat(value, 64); err == nil && seconds > 0 {
		return time.Duration(seconds * float64(time.Second))
	}
	if at, err := http.ParseTime(value); err == nil {
		if wait := time.Until(at); wait > 0 {
			return wait
		}
	}
	return 0
}
