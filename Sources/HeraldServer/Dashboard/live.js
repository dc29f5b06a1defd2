// A live feed that survives disconnects (R-ui): the stream is read with fetch (so every named
// SSE event arrives and the resume point is ours), reconnecting with exponential backoff
// (1 s, 2 s, 4 s … 30 s) from the last id. A key, when the server wants one, goes in the
// Authorization header (fetch can send it; EventSource could not). Where the stream cannot be held open (a buffering
// proxy, a network that cuts long requests) but the API answers, it polls the query API with
// `after=` every few seconds, and goes back to the stream as soon as it works again.

import { authHeaders, unauthorized } from "./util.js";

const POLL_EVERY = 3000;
const RETRY_STREAM_EVERY = 15000;

export class LiveFeed {
  /**
   * @param streamURL (after) => URL of the SSE stream resuming after `after`
   * @param pollURL (after) => URL of a query page after `after` ({events, hasMore}), or null
   * @param onEvent (event, id) => void, for each event in order
   * @param onMode (mode) => void: "connecting", "live", "reconnecting", "polling", "ended"
   * @param after the resume point (an event id of this stream), or null for the start
   */
  constructor({ streamURL, pollURL = null, onEvent, onMode, after = null, idOf }) {
    Object.assign(this, { streamURL, pollURL, onEvent, onMode, after, idOf });
    this.failures = 0;
    this.stopped = false;
    this.mode = null;
  }

  start() { this.connect(); }

  stop() {
    this.stopped = true;
    this.abort?.abort();
    clearTimeout(this.timer);
  }

  setMode(mode) {
    if (this.mode === mode) return;
    this.mode = mode;
    this.onMode(mode);
  }

  async connect() {
    if (this.stopped) return;
    if (this.mode !== "polling") this.setMode(this.failures === 0 ? "connecting" : "reconnecting");
    this.abort = new AbortController();
    try {
      const headers = { Accept: "text/event-stream", ...authHeaders() };
      if (this.after !== null) headers["Last-Event-ID"] = String(this.after);
      const response = await fetch(this.streamURL(this.after), { headers, signal: this.abort.signal });
      if (response.status === 204) return this.end();
      if (response.status === 401) { this.stop(); return unauthorized(); }
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      this.failures = 0;
      this.setMode("live");
      clearTimeout(this.timer);
      await this.read(response.body);
      if (this.mode === "ended") return;
      // The server closed the stream (lifetime, restart): resume at once.
      this.failures = 1;
      this.setMode("reconnecting");
      this.timer = setTimeout(() => this.connect(), 250);
    } catch (error) {
      if (this.stopped || this.mode === "ended") return;
      this.failures += 1;
      if (this.mode === "polling") return this.schedulePoll();
      if (this.failures >= 3 && this.pollURL && (await this.poll())) {
        this.setMode("polling");
        return this.schedulePoll();
      }
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
        if (type.startsWith("herald.")) { if (id !== null) this.after = id; continue; }
        this.deliver(event, id);
        if (this.mode === "ended") { this.abort.abort(); return; }
      }
    }
  }

  deliver(event, id) {
    if (id !== null) this.after = id;
    this.onEvent(event);
    if (["run.completed", "run.failed", "run.cancelled"].includes(event.type) && this.pollURL) this.end();
  }

  end() {
    clearTimeout(this.timer);
    this.setMode("ended");
  }

  /** One page of the query API after the resume point; false when it cannot be read. */
  async poll() {
    try {
      const response = await fetch(this.pollURL(this.after ?? 0), { headers: { Accept: "application/json", ...authHeaders() } });
      if (!response.ok) return false;
      const page = await response.json();
      for (const event of page.events) {
        if (this.mode === "ended") break;
        this.deliver(event, String(this.idOf(event)));
      }
      return true;
    } catch {
      return false;
    }
  }

  schedulePoll() {
    let sinceStream = 0;
    const tick = async () => {
      if (this.stopped || this.mode === "ended") return;
      if (!(await this.poll())) this.setMode("reconnecting");
      else if (this.mode !== "ended") this.setMode("polling");
      sinceStream += POLL_EVERY;
      if (sinceStream >= RETRY_STREAM_EVERY) {
        sinceStream = 0;
        this.probe();
      }
      if (this.mode !== "live" && this.mode !== "ended") this.timer = setTimeout(tick, POLL_EVERY);
    };
    this.timer = setTimeout(tick, POLL_EVERY);
  }

  /** Tries the stream again while polling; it takes over as soon as it opens. */
  probe() {
    this.failures = 0;
    clearTimeout(this.timer);
    this.connect();
  }
}
