package herald

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// requestTimeout bounds one request: the server answers an ingest only once it is durable.
const requestTimeout = 30 * time.Second

// maxAnswerBytes bounds what is read of an answer (a page of events is well below it).
const maxAnswerBytes = 64 << 20

// server is a Herald base URL with its credential and HTTP client, shared by the emitter's
// sink and the Client.
type server struct {
	base   *url.URL
	origin string
	key    string
	client *http.Client
}

func newServer(baseURL, key string, client *http.Client) (*server, error) {
	raw := firstOf(baseURL, envOr("HERALD_URL", "http://127.0.0.1:7373"))
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	base, err := url.Parse(raw)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("herald: not a Herald URL: %q (expected http://host:port)", baseURL)
	}
	base.Path = strings.TrimSuffix(base.Path, "/")
	if client == nil {
		client = defaultHTTPClient()
	}
	if key == "" {
		key = envOr("HERALD_TOKEN", "")
	}
	return &server{base: base, origin: base.Scheme + "://" + base.Host, key: key, client: client}, nil
}

// defaultHTTPClient fails fast when nobody listens (2 s to connect), so the caller's own
// backoff decides when to try again; requests carry their own deadlines.
func defaultHTTPClient() *http.Client {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.DialContext = (&net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	transport.MaxIdleConnsPerHost = 16
	return &http.Client{Transport: transport}
}

// endpoint is the URL of path with query, under the base URL's own path.
func (s *server) endpoint(path string, query url.Values) string {
	target := *s.base
	target.Path = s.base.Path + path
	target.RawPath = ""
	target.RawQuery = query.Encode()
	return target.String()
}

func (s *server) newRequest(ctx context.Context, method, target string, body []byte, contentType string) (*http.Request, error) {
	var reader io.Reader
	if body != nil {
		reader = bytes.NewReader(body)
	}
	request, err := http.NewRequestWithContext(ctx, method, target, reader)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		request.Header.Set("Content-Type", contentType)
	}
	if s.key != "" {
		request.Header.Set("Authorization", "Bearer "+s.key)
	}
	return request, nil
}

// httpSink posts an emitter's batches: POST /v1/events?partial=true as NDJSON. With partial
// ingest the server stores the valid events of a batch and names each refused one, so one
// bad event costs one request, not a request per refusal.
type httpSink struct {
	*server
	target string
}

func newHTTPSink(baseURL, key string, client *http.Client) (*httpSink, error) {
	s, err := newServer(baseURL, key, client)
	if err != nil {
		return nil, err
	}
	return &httpSink{server: s, target: s.endpoint("/v1/events", url.Values{"partial": {"true"}})}, nil
}

type outcome int

const (
	outcomeStored     outcome = iota // stored, except the events in refused
	outcomeRefused                   // nothing stored: the events in refused are final, the rest may go again
	outcomeRefusedAll                // nothing stored, and retrying cannot help (401, 403, 404)
	outcomeTooLarge                  // 413: split the batch
	outcomeRetry                     // temporary: unreachable, 408, 429, 5xx
)

type postAnswer struct {
	outcome    outcome
	refused    map[int]string // by index in the batch, with the reason
	err        error
	retryAfter time.Duration
}

func (s *httpSink) post(ctx context.Context, items []outgoing) postAnswer {
	size := 0
	for _, item := range items {
		size += len(item.line) + 1
	}
	body := make([]byte, 0, size)
	for _, item := range items {
		body = append(append(body, item.line...), '\n')
	}
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	request, err := s.newRequest(ctx, http.MethodPost, s.target, body, "application/x-ndjson")
	if err != nil {
		return postAnswer{outcome: outcomeRefusedAll, err: err}
	}
	request.Header.Set("Accept", "application/json")
	response, err := s.client.Do(request)
	if err != nil {
		return postAnswer{outcome: outcomeRetry, err: unreachable(s.origin, err)}
	}
	answer, err := io.ReadAll(io.LimitReader(response.Body, maxAnswerBytes))
	response.Body.Close()
	if err != nil {
		return postAnswer{outcome: outcomeRetry, err: unreachable(s.origin, err)}
	}
	if response.StatusCode == http.StatusOK {
		var stored struct {
			Accepted *int `json:"accepted"`
			Rejected []struct {
				Index   int    `json:"index"`
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"rejected"`
		}
		if json.Unmarshal(answer, &stored) != nil || stored.Accepted == nil {
			return postAnswer{outcome: outcomeRetry, err: fmt.Errorf("%s answered 200 with a body that is not Herald's", s.origin)}
		}
		refused := make(map[int]string, len(stored.Rejected))
		for _, rejection := range stored.Rejected {
			refused[rejection.Index] = rejection.Code + ": " + rejection.Message
		}
		return postAnswer{outcome: outcomeStored, refused: refused}
	}
	refusal := errorFromResponse(response.StatusCode, response.Header, answer)
	switch status := response.StatusCode; {
	case status == http.StatusRequestEntityTooLarge:
		return postAnswer{outcome: outcomeTooLarge, err: refusal}
	case status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500:
		return postAnswer{outcome: outcomeRetry, err: refusal, retryAfter: refusal.RetryAfter}
	case status == http.StatusUnauthorized || status == http.StatusForbidden || status == http.StatusNotFound:
		return postAnswer{outcome: outcomeRefusedAll, err: refusal}
	}
	refused := map[int]string{}
	for _, detail := range refusal.Details {
		if detail.Index != nil && *detail.Index >= 0 && *detail.Index < len(items) {
			reason := refusal.Code + ": " + detail.Message
			if earlier, ok := refused[*detail.Index]; ok {
				reason = earlier + "; " + reason
			}
			refused[*detail.Index] = reason
		}
	}
	if len(refused) == 0 {
		return postAnswer{outcome: outcomeRefusedAll, err: refusal}
	}
	return postAnswer{outcome: outcomeRefused, refused: refused, err: refusal}
}
