// A live feed that survives disconnects (R-ui): the stream is read with fetch (so every named
// SSE event arrives and the resume point is ours), reconnecting with exponential backoff
// (1 s, 2 s, 4 s … 30 s) from the last id. Where the stream cannot be held open (a buffering
// proxy, a network that cuts long requests) but the API answers, it polls the query API with
// `after=` every few seconds, and goes back to the stream as soon as it works again. A key,
// when the server wants one, goes in the Authorization header (fetch can send it; EventSource
// could not).
import { authHeaders, unauthorized } from "./util.js";

const POLL_EVERY = 3000;
const PROBE_EVERY = 15000;
/** A stream that closes sooner than this without an event counts as a failure. */
const SHORT_LIVED = 3000;

export class LiveFeed {
  /**
   * @param streamURL (after) => URL of the SSE stream resuming after `after`
   * @param pollURL (after) => URL of a query page after `after` ({events, hasMore}), or null
   * @param idOf (event) => the event's id on the stream (for polled events)
   * @param onEvent (event) => void, for each event in order
   * @param onMode (mode) => void: "connecting", "live", "reconnecting", "polling", "ended"
   * @param after the resume point (an event id of this stream), or null for the start
   */
  constructor({ streamURL, pollURL = null, onEvent, onMode, after = null, idOf = null }) {
    Object.assign(this, { streamURL, pollURL, onEvent, onMode, after, idOf });
    this.failures = 0;
    this.delivered = 0;
    this.stopped = false;
    this.polling = false;
    this.mode = null;
  }

  start() { this.connect(); }

  stop() {
    this.stopped = true;
    this.polling = false;
    this.abort?.abort();
    clearTimeout(this.timer);
    clearTimeout(this.pollTimer);
  }

  setMode(mode) {
    if (this.stopped || this.mode === mode || this.mode === "ended") return;
    this.mode = mode;
    this.onMode(mode);
  }

  /** Opens the stream; `probe` when the polling loop tries it (a failure then changes nothing). */
  async connect({ probe = false } = {}) {
    if (this.stopped || this.mode === "ended") return;
    if (!probe && !this.polling) this.setMode(this.failures === 0 ? "connecting" : "reconnecting");
    this.abort?.abort();  // never two streams
    const abort = new AbortController();
    this.abort = abort;
    try {
      const headers = { Accept: "text/event-stream", ...authHeaders() };
      if (this.after !== null) headers["Last-Event-ID"] = String(this.after);
      const response = await fetch(this.streamURL(this.after), { headers, signal: abort.signal });
      if (response.status === 204) return this.end();
      if (response.status === 401) { this.stop(); return unauthorized(); }
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      this.stopPolling();
      this.setMode("live");
      const opened = Date.now(), before = this.delivered;
      await this.read(response.body);
      if (this.stopped || this.mode === "ended" || abort !== this.abort) return;
      if (Date.now() - opened < SHORT_LIVED && this.delivered === before) throw new Error("the stream closed at once");
      // The server closed the stream (its lifetime, a restart): resume at once.
      this.failures = 0;
      this.setMode("reconnecting");
      this.timer = setTimeout(() => this.connect(), 250);
    } catch (error) {
      if (this.stopped || this.mode === "ended" || abort !== this.abort) return;
      this.failures += 1;
      if (probe || this.polling) return;  // the polling loop goes on and probes again later
      if (this.failures >= 3 && this.pollURL && (await this.poll())) return this.startPolling();
      this.setMode("reconnecting");
      const delay = Math.min(30000, 1000 * 2 ** Math.min(this.failures - 1, 5));
      this.timer = setTimeout(() => this.connect(), delay * (0.8 + Math.random() * 0.2));
    }
  }

  /** Reads SSE frames until the stream ends; a terminal event ends the feed. */
  async read(body) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value.replace(/\r\n?/g, "\n");
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        let data = [], id = null, type = "message";
        for (const line of block.split("\n")) {
          if (line.startsWith(":")) continue;
          const colon = line.indexOf(":");
          const name = colon < 0 ? line : line.slice(0, colon);
          const field = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
          if (name === "data") data.push(field);
          else if (name === "id") id = field;
          else if (name === "event") type = field;
        }
        if (data.length === 0) continue;
        const event = JSON.parse(data.join("\n"));
        if (type.startsWith("herald.")) {
          // A project stream's herald.connected names where "now" is: resume from there.
          if (type === "herald.connected" && this.after === null && event.position !== undefined) this.after = String(event.position);
          this.advance(id);
          continue;
        }
        this.deliver(event, id);
        if (this.mode === "ended") { this.abort.abort(); return; }
      }
    }
  }

  /** Moves the resume point forward (a late poll never moves it back). */
  advance(id) {
    if (id !== null && (this.after === null || Number(id) > Number(this.after))) this.after = id;
  }

  deliver(event, id) {
    this.advance(id);
    this.delivered += 1;
    this.onEvent(event);
    if (["run.completed", "run.failed", "run.cancelled"].includes(event.type) && this.pollURL) this.end();
  }

  end() {
    this.stopPolling();
    clearTimeout(this.timer);
    this.setMode("ended");
  }

  /** One page of the query API after the resume point; false when it cannot be read. */
  async poll() {
    try {
      const response = await fetch(this.pollURL(this.after ?? 0), { headers: { Accept: "application/json", ...authHeaders() } });
      if (response.status === 401) { this.stop(); unauthorized(); return false; }
      if (!response.ok) return false;
      const page = await response.json();
      for (const event of page.events) {
        if (this.stopped || this.mode === "ended") break;
        this.deliver(event, String(this.idOf(event)));
      }
      return true;
    } catch {
      return false;
    }
  }

  startPolling() {
    if (this.polling || this.stopped) return;
    this.polling = true;
    this.setMode("polling");
    let sinceProbe = 0;
    const tick = async () => {
      if (!this.polling) return;
      const ok = await this.poll();
      if (!this.polling) return;  // the stream took over meanwhile
      this.setMode(ok ? "polling" : "reconnecting");
      sinceProbe += POLL_EVERY;
      if (sinceProbe >= PROBE_EVERY) {
        sinceProbe = 0;
        this.connect({ probe: true });
      }
      this.pollTimer = setTimeout(tick, POLL_EVERY);
    };
    this.pollTimer = setTimeout(tick, POLL_EVERY);
  }

  stopPolling() {
    this.polling = false;
    clearTimeout(this.pollTimer);
  }
}
