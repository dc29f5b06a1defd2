package herald

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// heraldBin is the binary under test: $HERALD_BIN, else the repository's debug build.
var heraldBin = func() string {
	if bin := os.Getenv("HERALD_BIN"); bin != "" {
		return bin
	}
	bin, _ := filepath.Abs(filepath.Join("..", "..", ".build", "debug", "herald"))
	return bin
}()

func TestMain(m *testing.M) {
	if _, err := os.Stat(heraldBin); err != nil {
		fmt.Fprintf(os.Stderr, "no herald binary at %s: build it (swift build) or set HERALD_BIN\n", heraldBin)
		os.Exit(4)
	}
	os.Exit(m.Run())
}

// testServer is one `herald serve` child on a random loopback port: started, stopped (TERM or
// KILL) and started again on the same port and data folder.
type testServer struct {
	t      testing.TB
	data   string
	args   []string
	port   int
	cmd    *exec.Cmd
	exited chan struct{}
}

var listening = regexp.MustCompile(`listening on 127\.0\.0\.1:(\d+)`)

// startHerald starts a server with extra `serve` options; it is killed when the test ends.
func startHerald(t testing.TB, args ...string) *testServer {
	t.Helper()
	s := &testServer{t: t, data: filepath.Join(t.TempDir(), "data"), args: args}
	s.start()
	t.Cleanup(func() { s.stop(syscall.SIGKILL) })
	return s
}

func (s *testServer) url() string { return "http://127.0.0.1:" + strconv.Itoa(s.port) }

func (s *testServer) logPath() string { return s.data + ".log" }

func (s *testServer) start() {
	s.t.Helper()
	logFile, err := os.OpenFile(s.logPath(), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		s.t.Fatal(err)
	}
	defer logFile.Close()
	offset, _ := logFile.Seek(0, io.SeekEnd)
	args := append([]string{"serve", "--port", strconv.Itoa(s.port), "--data", s.data, "--log-level", "info"}, s.args...)
	s.cmd = exec.Command(heraldBin, args...)
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.exited = make(chan struct{})
	go func(cmd *exec.Cmd, exited chan struct{}) {
		_ = cmd.Wait()
		close(exited)
	}(s.cmd, s.exited)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		text, _ := os.ReadFile(s.logPath())
		if found := listening.FindSubmatch(text[offset:]); found != nil {
			s.port, _ = strconv.Atoi(string(found[1]))
			return
		}
		select {
		case <-s.exited:
			s.t.Fatalf("herald serve exited:\n%s", text[offset:])
		case <-time.After(20 * time.Millisecond):
		}
	}
	s.t.Fatal("herald serve did not start in 30 s")
}

func (s *testServer) stop(signal syscall.Signal) {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(signal)
	<-s.exited
	s.cmd = nil
}

// cli runs a herald client command against this server.
func (s *testServer) cli(args ...string) string {
	s.t.Helper()
	cmd := exec.Command(heraldBin, args...)
	cmd.Env = append(os.Environ(), "HERALD_URL="+s.url())
	out, err := cmd.CombinedOutput()
	if err != nil {
		s.t.Fatalf("herald %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// lossyProxy forwards TCP connections to a server. While drop > 0 it closes the client's
// connection as soon as the server's answer starts: the request was served, the answer is
// lost. freeze() stops forwarding on the connections open now, as a dead network would,
// without closing them.
type lossyProxy struct {
	listener net.Listener
	upstream string
	drop     int64 // atomic
	dropped  int64 // atomic

	mu     sync.Mutex
	frozen map[net.Conn]bool
}

func startLossyProxy(t *testing.T, upstreamPort int) *lossyProxy {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &lossyProxy{listener: listener, upstream: "127.0.0.1:" + strconv.Itoa(upstreamPort), frozen: map[net.Conn]bool{}}
	t.Cleanup(func() { listener.Close() })
	go p.accept()
	return p
}

func (p *lossyProxy) url() string { return "http://" + p.listener.Addr().String() }

func (p *lossyProxy) loseAnswers(n int64) { atomic.StoreInt64(&p.drop, n) }

func (p *lossyProxy) lost() int64 { return atomic.LoadInt64(&p.dropped) }

func (p *lossyProxy) freeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for conn := range p.frozen {
		p.frozen[conn] = true
	}
}

func (p *lossyProxy) isFrozen(conn net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.frozen[conn]
}

func (p *lossyProxy) accept() {
	for {
		client, err := p.listener.Accept()
		if err != nil {
			return
		}
		go p.pump(client)
	}
}

func (p *lossyProxy) pump(client net.Conn) {
	defer client.Close()
	upstream, err := net.Dial("tcp", p.upstream)
	if err != nil {
		return
	}
	defer upstream.Close()
	p.mu.Lock()
	p.frozen[client] = false
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.frozen, client)
		p.mu.Unlock()
	}()
	go func() {
		_, _ = io.Copy(upstream, client)
		upstream.Close()
	}()
	buffer := make([]byte, 64<<10)
	for {
		n, err := upstream.Read(buffer)
		if n > 0 {
			if p.isFrozen(client) {
				continue // swallowed: the client hears nothing more
			}
			if atomic.AddInt64(&p.drop, -1) >= 0 {
				atomic.AddInt64(&p.dropped, 1)
				return
			}
			atomic.AddInt64(&p.drop, 1)
			if _, err := client.Write(buffer[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// freePort is a loopback port nobody listens on (for "the server is down").
func freePort(t testing.TB) int {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close()
	return listener.Addr().(*net.TCPAddr).Port
}

// logBuffer collects what the library logs, for assertions.
type logBuffer struct {
	mu   sync.Mutex
	text bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.text.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.text.String()
}

func newLogBuffer() (*logBuffer, *log.Logger) {
	buffer := &logBuffer{}
	return buffer, log.New(buffer, "", 0)
}

func testContext(t *testing.T, timeout time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	return ctx
}

func newTestClient(t *testing.T, url string) *Client {
	t.Helper()
	client, err := NewClient(ClientOptions{BaseURL: url})
	if err != nil {
		t.Fatal(err)
	}
	return client
}

func newTestEmitter(t *testing.T, options EmitterOptions) *Emitter {
	t.Helper()
	if options.Logger == nil {
		options.Logger = log.New(testWriter{t}, "", 0)
	}
	h, err := NewEmitter(options)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close(context.Background()) })
	return h
}

// testWriter sends the library's log lines to the test's log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func allEvents(t *testing.T, url, run string) []Event {
	t.Helper()
	events, err := newTestClient(t, url).AllEvents(testContext(t, 30*time.Second), run, EventsQuery{})
	if err != nil {
		t.Fatal(err)
	}
	return events
}

func ids(events []Event) []string {
	out := make([]string, len(events))
	for i, event := range events {
		out[i] = event.ID
	}
	return out
}

func publish(t *testing.T, url string, events ...NewEvent) {
	t.Helper()
	if _, err := newTestClient(t, url).Publish(testContext(t, 10*time.Second), events); err != nil {
		t.Fatal(err)
	}
}

// logLines are count agent.log events of run w, lines start … start+count-1.
func logLines(run string, start, count int) []NewEvent {
	events := make([]NewEvent, count)
	for i := range events {
		events[i] = NewEvent{Run: run, Type: "agent.log", Agent: "w", Data: map[string]string{"line": fmt.Sprintf("l%d", start+i)}}
	}
	return events
}

func waitUntil(t *testing.T, timeout time.Duration, condition func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !condition() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met in %v", timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// runHerald runs a herald command that needs no server.
func runHerald(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(heraldBin, args...).Output()
	if err != nil {
		t.Fatalf("herald %s: %v", strings.Join(args, " "), err)
	}
	return string(out)
}

// quietLogger swallows what the library logs (for tests where failures are the point).
func quietLogger() *log.Logger { return log.New(io.Discard, "", 0) }

func containsText(text, part string) bool { return strings.Contains(text, part) }
