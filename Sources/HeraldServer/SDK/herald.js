// Herald's JavaScript client: queries, publishing, an emitter that never blocks, and live
// subscriptions that resume by themselves. One ES module, no build step, no dependency: it runs
// unchanged in browsers (served as /sdk/herald.js) and in Node ≥ 18.
//
//   import { createClient } from "/sdk/herald.js";
//   const herald = createClient({ headers: () => ({ Authorization: `Bearer ${key}` }) });
//   const stop = herald.subscribe({ run: "nightly-42", after: 0 }, { onEvent: (e) => console.log(e.type) });
//
// The promises it keeps are the other clients' (docs/producers.md, docs/clients.md); how to use
// it: docs/javascript.md. Types: /sdk/herald.d.ts.

/** The types that end a run: its live streams end right after one of them. */
export const TERMINAL_TYPES = Object.freeze(["run.completed", "run.failed", "run.cancelled"]);

/** Verbosity levels, coarsest first; `system` always passes. */
export const LEVELS = Object.freeze(["milestone", "decision", "action", "state", "detail"]);

/** The level the server gives each built-in type that names none (`herald vocabulary --json`). */
const DEFAULT_LEVELS = Object.freeze({
  "run.queued": "milestone", "run.started": "milestone", "run.completed": "milestone", "run.failed": "milestone",
  "run.cancelled": "milestone", "agent.started": "milestone", "agent.completed": "milestone", "agent.failed": "milestone",
  "milestone.turn_start": "milestone", "milestone.turn_end": "milestone", "milestone.phase_transition": "milestone",
  "decision": "decision", "reflection": "decision", "task.started": "decision", "task.completed": "decision",
  "task.failed": "decision", "task.status_changed": "decision", "task.subtask_status_changed": "decision",
  "task.subtask_unblocked": "decision",
  "action": "action", "step.queued": "action", "step.started": "action", "step.progress": "action",
  "step.completed": "action", "step.failed": "action", "message.started": "action", "message.completed": "action",
  "tool.call_started": "action", "tool.call_completed": "action", "tool.call_result": "action",
  "state": "state", "state.delta": "state", "state.snapshot": "state",
  "detail": "detail", "agent.log": "detail", "thought": "detail", "message.delta": "detail", "tool.call_args": "detail",
  "reasoning.started": "detail", "reasoning.message_started": "detail", "reasoning.delta": "detail",
  "reasoning.message_completed": "detail", "reasoning.completed": "detail",
  "system.error": "system",
});

/** The level an event of `type` gets when it names none: custom types are `action`. */
export function defaultLevel(type) {
  return DEFAULT_LEVELS[type] ?? (type.startsWith("system.") ? "system" : "action");
}

/** Whether an event's type is one of the built-in vocabulary (its `data` then has the fields herald.d.ts names). */
export function isBuiltIn(event) {
  return Object.hasOwn(DEFAULT_LEVELS, event?.type);
}

/** Whether an event is its run's last (`run.completed`, `run.failed`, `run.cancelled`). */
export function isTerminal(event) {
  return TERMINAL_TYPES.includes(event?.type);
}

// MARK: - Errors

/**
 * A refusal from the server (`status`, `code`, `message`, `details` as it answered them), or a
 * failure to reach it (`status` 0, `code` "unreachable").
 */
export class HeraldError extends Error {
  /**
   * @param {number} status the HTTP status, 0 when no answer came
   * @param {string} code the server's machine-readable code (`run_not_found`, `validation_failed`, …)
   * @param {string} message
   * @param {{details?: object[], retryAfter?: number|null, cause?: unknown}} [more]
   */
  constructor(status, code, message, { details = [], retryAfter = null, cause } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "HeraldError";
    this.status = status;
    this.code = code;
    this.details = details;
    /** Seconds the server asked to wait (429, 503), or null. */
    this.retryAfter = retryAfter;
  }

  /** Reads `{"error": {"code", "message", "details"}}`; any other body keeps its text. */
  static fromAnswer(status, text, retryAfterHeader = null) {
    const seconds = Number(retryAfterHeader);
    const retryAfter = retryAfterHeader !== null && Number.isFinite(seconds) ? Math.max(0, seconds) : null;
    try {
      const { error } = JSON.parse(text);
      if (error && typeof error === "object") {
        return new HeraldError(status, String(error.code ?? "error"), String(error.message ?? ""), {
          details: Array.isArray(error.details) ? error.details : [], retryAfter });
      }
    } catch { /* not Herald's JSON: kept as text below */ }
    return new HeraldError(status, "http_error", text.trim().slice(0, 500) || `HTTP ${status}`, { retryAfter });
  }

  /** Whether trying again later may succeed: no answer, 408, 429 or a 5xx. */
  get transient() {
    // A bug in the `headers` option (a name not defined, a typo) will not fix itself; a token
    // endpoint that is down may.
    if (this.code === "headers_failed" || this.code === "ticket_failed") {
      return !PROGRAMMING_ERRORS.some((type) => this.cause instanceof type);
    }
    return this.status === 0 || this.status === 408 || this.status === 429 || this.status >= 500;
  }
}

const PROGRAMMING_ERRORS = [ReferenceError, TypeError, SyntaxError, RangeError];

// MARK: - Ids

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/**
 * Makes ULIDs that increase strictly, even within one millisecond: 10 characters of
 * milliseconds, 16 of randomness, the random part incremented within a millisecond (the
 * monotonic ULID rule). The same text as the Python and Swift clients make.
 */
class ULIDMaker {
  #ms = -1;
  #prefix = "";
  /** The random part as 16 base-32 digits, most significant first. */
  #digits = new Uint8Array(16);

  next() {
    const now = Date.now();
    if (now > this.#ms) {
      this.#ms = now;
      this.#prefix = encodeTime(now);
      fillRandom(this.#digits);
      this.#digits[0] &= 15;  // a spare top bit: room to increment within the millisecond
    } else if (!this.#increment()) {
      // 2^79 ids in one millisecond: move on to the next one (a clock going back keeps the last).
      this.#ms += 1;
      this.#prefix = encodeTime(this.#ms);
      this.#digits.fill(0);
    }
    let text = this.#prefix;
    for (const digit of this.#digits) text += CROCKFORD[digit];
    return text;
  }

  #increment() {
    for (let i = 15; i >= 0; i--) {
      if (this.#digits[i] < 31) {
        this.#digits[i] += 1;
        return true;
      }
      this.#digits[i] = 0;
    }
    return false;
  }
}

/** Random bytes reduced to base-32 digits (Web Crypto where there is one: browsers, Node ≥ 19). */
function fillRandom(digits) {
  if (globalThis.crypto?.getRandomValues) globalThis.crypto.getRandomValues(digits);
  else for (let i = 0; i < digits.length; i++) digits[i] = Math.floor(Math.random() * 256);
  for (let i = 0; i < digits.length; i++) digits[i] &= 31;
}

function encodeTime(ms) {
  let text = "";
  for (let i = 0; i < 10; i++) {
    text = CROCKFORD[ms % 32] + text;
    ms = Math.floor(ms / 32);
  }
  return text;
}

const ids = new ULIDMaker();

/** A new ULID; the ids of one page or process increase strictly. */
export function ulid() {
  return ids.next();
}

// MARK: - Server-Sent Events

/**
 * Splits a text stream into SSE messages by the WHATWG EventSource rules: lines end in CR LF,
 * LF or CR (also split across chunks); a blank line dispatches; `event:`, multi-line `data:`,
 * `id:` (kept across messages, ignored when it holds NUL), `retry:`; comments are counted;
 * a leading byte-order mark is skipped.
 */
export class SSEParser {
  /** The last `id:` seen, as EventSource's `lastEventId`. */
  lastEventId = null;
  /** The last `retry:` hint, in milliseconds. */
  retry = null;
  /** Comment lines seen (the server's `:heartbeat`). */
  comments = 0;
  #buffer = "";
  #data = [];
  #event = "";
  #started = false;
  #skipLF = false;

  /**
   * Feeds decoded text; answers the messages it completes.
   * @param {string} text
   * @returns {{event: string, data: string, id: string|null}[]}
   */
  feed(text) {
    if (!this.#started && text.length > 0) {
      this.#started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.#skipLF && text.startsWith("\n")) text = text.slice(1);  // the LF of a CR LF split in two
    this.#skipLF = false;
    this.#buffer += text;
    const messages = [];
    let start = 0;
    // The next CR and LF, looked up again only once passed: one scan of the text per feed.
    let cr = this.#buffer.indexOf("\r");
    let lf = this.#buffer.indexOf("\n");
    for (;;) {
      if (cr >= 0 && cr < start) cr = this.#buffer.indexOf("\r", start);
      if (lf >= 0 && lf < start) lf = this.#buffer.indexOf("\n", start);
      if (cr < 0 && lf < 0) break;
      const end = cr < 0 ? lf : lf < 0 ? cr : Math.min(cr, lf);
      const line = this.#buffer.slice(start, end);
      if (this.#buffer[end] === "\r") {
        if (end + 1 === this.#buffer.length) this.#skipLF = true;
        start = this.#buffer[end + 1] === "\n" ? end + 2 : end + 1;
      } else {
        start = end + 1;
      }
      const message = this.#line(line);
      if (message) messages.push(message);
    }
    this.#buffer = this.#buffer.slice(start);
    return messages;
  }

  #line(line) {
    if (line === "") {
      if (this.#data.length === 0) {
        this.#event = "";
        return null;
      }
      const message = { event: this.#event || "message", data: this.#data.join("\n"), id: this.lastEventId };
      this.#data = [];
      this.#event = "";
      return message;
    }
    if (line.startsWith(":")) {
      this.comments += 1;
      return null;
    }
    const colon = line.indexOf(":");
    const name = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (name === "data") this.#data.push(value);
    else if (name === "event") this.#event = value;
    else if (name === "id") { if (!value.includes("\0")) this.lastEventId = value; }
    else if (name === "retry") { if (/^\d+$/.test(value)) this.retry = Number(value); }
    return null;
  }
}

// MARK: - Helpers

const sleep = (ms, signal) => new Promise((resolve) => {
  if (signal?.aborted) return resolve();
  const done = () => { clearTimeout(timer); signal?.removeEventListener("abort", done); resolve(); };
  const timer = setTimeout(done, Math.max(0, ms));
  signal?.addEventListener("abort", done, { once: true });
});

/** Exponential backoff: `base` doubling to `max`, times 0.5–1 (jitter, so clients spread out). */
function backoff(attempt, base, max) {
  return Math.min(max, base * 2 ** Math.min(attempt - 1, 20)) * (0.5 + Math.random() / 2);
}

/** Why a request of this module was aborted when no answer came in time (not the caller's abort). */
class Timeout extends Error {}

/** A signal that aborts with `signal`, or with a Timeout after `ms`; `clear()` drops the timer. */
function deadlineSignal(signal, ms) {
  const controller = new AbortController();
  const abort = () => controller.abort(signal?.reason);
  if (signal?.aborted) abort();
  else signal?.addEventListener("abort", abort, { once: true });
  const timer = ms > 0 ? setTimeout(() => controller.abort(new Timeout(`no answer in ${ms} ms`)), ms) : null;
  return {
    signal: controller.signal,
    clear: () => { clearTimeout(timer); signal?.removeEventListener("abort", abort); },
  };
}

/** A query string from an object: undefined and null left out, arrays joined with commas. */
function queryString(query = {}) {
  const parts = [];
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === false) continue;
    const text = Array.isArray(value) ? value.join(",") : String(value);
    // `*`, `,` and `:` stay readable (agent.*,decision); the server reads them either way.
    parts.push(`${encodeURIComponent(name)}=${encodeURIComponent(text).replace(/%2C/gi, ",").replace(/%3A/gi, ":")}`);
  }
  return parts.length > 0 ? `?${parts.join("&")}` : "";
}

const segment = (value) => encodeURIComponent(String(value));

const FILTERS = ["types", "agents", "level", "turnFrom", "turnTo", "since", "until"];

/** The query's filter parameters, shared by `events()` and the streams. */
function filterQuery(options = {}) {
  return Object.fromEntries(FILTERS.map((name) => [name, options[name]]));
}

/** A filter the API does not have is the caller's mistake: say so rather than answer unfiltered. */
function checkFilters(filters) {
  const unknown = Object.keys(filters).filter((name) => !FILTERS.includes(name));
  if (unknown.length > 0) throw new TypeError(`unknown option(s) ${unknown.join(", ")}; filters are ${FILTERS.join(", ")}`);
}

/** Calls a user's handler; one that throws (or rejects) is reported, and the caller goes on. */
function call(handler, ...args) {
  if (!handler) return undefined;
  const report = (error) => console.error("herald: a handler threw", error);
  try {
    const result = handler(...args);
    return typeof result?.then === "function" ? result.then(undefined, report) : result;
  } catch (error) {
    report(error);
    return undefined;
  }
}

// MARK: - Client

/**
 * A client for one Herald server.
 *
 * @param {object} [options]
 * @param {string} [options.baseUrl] the server, e.g. "http://127.0.0.1:7373"; "" (the default) is the page's own origin
 * @param {object|(() => object|Promise<object>)} [options.headers] headers for every request (a key: `Authorization: Bearer …`);
 *   a function is called for each request, so a refreshed token is picked up
 * @param {string} [options.project] the project of the runs this client names: sent as `?project=` on run routes,
 *   and set on published events that name none
 * @param {typeof fetch} [options.fetch] the fetch to use (default: the global one)
 * @param {number} [options.timeoutMs] how long a query or a publish attempt waits for its answer (30 s)
 * @param {(error: HeraldError) => void} [options.onUnauthorized] called on every 401 (a page asks for a key), but a
 *   refused stream ticket's
 */
export function createClient(options = {}) {
  return new Client(options);
}

class Client {
  #fetch;
  #headers;
  #onUnauthorized;

  constructor({ baseUrl = "", headers = {}, project, fetch, timeoutMs = 30000, onUnauthorized } = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.project = project;
    this.timeoutMs = timeoutMs;
    // Looked up at each call, so a fetch replaced later (a test, a polyfill) is the one used.
    this.#fetch = fetch ?? ((...args) => globalThis.fetch(...args));
    this.#headers = headers;
    this.#onUnauthorized = onUnauthorized;
  }

  /** The full URL of an API path with its query (undefined values left out). */
  url(path, query) {
    return this.baseUrl + path + queryString(query);
  }

  // MARK: Queries

  /** One page of runs, newest first: `{runs, nextCursor}`. `status` may be "active". */
  runs({ project, status, limit, cursor, signal } = {}) {
    return this.get("/v1/runs", { project: project ?? this.project, status, limit, cursor }, { signal });
  }

  /** One run: status, times, counts, agents, subscribers. */
  run(run, { project, signal } = {}) {
    return this.get(`/v1/runs/${segment(run)}`, { project: project ?? this.project }, { signal });
  }

  /**
   * One page of a run's events: `{events, total, hasMore}`. Filters: `types` (with `agent.*`
   * wildcards), `agents`, `level`, `turnFrom`, `turnTo`, `since`, `until`; paging: `after` and
   * `before` (seqs), `limit`.
   */
  async events(run, { after, before, limit, project, signal, ...filters } = {}) {
    checkFilters(filters);
    return this.get(`/v1/runs/${segment(run)}/events`,
      { ...filterQuery(filters), after, before, limit, project: project ?? this.project }, { signal });
  }

  /** One event by id. */
  event(run, id, { project, signal } = {}) {
    return this.get(`/v1/runs/${segment(run)}/events/${segment(id)}`, { project: project ?? this.project }, { signal });
  }

  /** What led to an event and what followed from it: `{event, upstream, downstream, dangling}`. */
  causality(run, id, { maxDepth, project, signal } = {}) {
    return this.get(`/v1/runs/${segment(run)}/events/${segment(id)}/causality`,
      { maxDepth, project: project ?? this.project }, { signal });
  }

  /** What the client's credential grants: `{caller, role, projects, authentication}`. */
  access({ signal } = {}) {
    return this.get("/v1/access", {}, { signal });
  }

  /** The projects the caller can read: `{projects: [{project, runs, activeRuns, updatedAt}]}`. */
  projects({ signal } = {}) {
    return this.get("/v1/projects", {}, { signal });
  }

  /**
   * A stream ticket (`POST /v1/stream-tickets`): a short-lived, read-only pass to one stream,
   * `{ticket, expiresAt, streamURL, project, run}`, for an `EventSource` or a page that must not
   * hold a key. Needs a credential in this client's headers (a server-side app's, usually).
   * `types`, `agents`, `level` and `logs` (project streams) bind the filters: the stream must be
   * asked with exactly those.
   */
  streamTicket({ run, project, types, agents, level, logs, signal } = {}) {
    const name = project ?? this.project;
    if (run === undefined && name === undefined) throw new TypeError("streamTicket needs a run or a project");
    // Lists as the server takes them; "a,b" (as in a query) is split.
    const list = (value) => (value === undefined || value === null ? undefined
      : (Array.isArray(value) ? value : String(value).split(",")).filter((item) => item !== ""));
    const body = JSON.stringify({ run, project: name, types: list(types), agents: list(agents), level, logs: list(logs) });
    return this.#request("POST", "/v1/stream-tickets", { body, contentType: "application/json", signal });
  }

  /** GET any API path; resolves to its JSON, rejects with a HeraldError. */
  get(path, query, { signal } = {}) {
    return this.#request("GET", path, { query, signal });
  }

  // MARK: Publishing

  /**
   * Posts events at once and resolves to the server's answer (`accepted`, `duplicates`,
   * `events`). Each event gets its id here, before the first try, so a retried request (no
   * answer, 5xx, 429 after its Retry-After) is stored once. All or nothing, unless `partial`:
   * then the valid events are stored and the answer's `rejected` names the others by index.
   * A refusal rejects with a HeraldError whose `details[].index` names the events.
   *
   * For a producer's loop use `emitter()`, which never blocks and never throws.
   *
   * @param {object[]} events
   * @param {{partial?: boolean, retryForMs?: number, signal?: AbortSignal}} [options]
   *   `retryForMs`: how long temporary failures are retried (10 s)
   */
  async publish(events, { partial = false, retryForMs = 10000, signal } = {}) {
    const body = events.map((event) => JSON.stringify(this.#prepared(event))).join("\n") + "\n";
    const deadline = Date.now() + retryForMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#request("POST", "/v1/events", {
          query: { partial }, body, contentType: "application/x-ndjson", signal });
      } catch (error) {
        if (!(error instanceof HeraldError) || !error.transient || signal?.aborted) throw error;
        const delay = Math.max(backoff(attempt, 100, 5000), (error.retryAfter ?? 0) * 1000);
        if (Date.now() + delay > deadline) throw error;
        await sleep(delay, signal);
      }
    }
  }

  /** An event as it is sent: its own copy, with an id and the client's project. */
  #prepared(event) {
    const prepared = { ...event, id: event.id ?? ulid() };
    if (prepared.project === undefined && this.project !== undefined) prepared.project = this.project;
    return prepared;
  }

  /**
   * An emitter for a producer's loop: `emit()` never blocks and never throws; events are
   * batched, delivered in order and retried with the same ids. See `Emitter`.
   */
  emitter(options = {}) {
    return new Emitter(this, options);
  }

  // MARK: Live

  /**
   * Follows a run (`run`) or a whole project (`project`, or the client's) live, calling the
   * handlers; answers a function that stops it (also carrying `status`, `lastEventId` and
   * `connected`). Resumes by itself after any disconnect, with no gap and no duplicate.
   *
   * @param {SubscribeOptions} options
   * @param {SubscribeHandlers} handlers
   */
  subscribe(options, handlers = {}) {
    const subscription = new Subscription(this, options, handlers);
    subscription.start();
    const stop = () => subscription.stop();
    Object.defineProperties(stop, {
      status: { get: () => subscription.status },
      lastEventId: { get: () => subscription.after },
      connected: { get: () => subscription.connected },
    });
    return stop;
  }

  /**
   * The same subscription as an async iterator of `{kind: "event", event, id}`,
   * `{kind: "gap", gap}` and `{kind: "connected", connected}`. It ends after a run's terminal
   * event, on 204, or when `signal` aborts; a final error (401, 403, 404) is thrown.
   * Reading pauses while the loop body runs, so a slow consumer never piles events up.
   */
  async *stream(options, { signal } = {}) {
    const items = [];
    let wake = null;
    let ended = false;
    let failure = null;
    const notify = () => { wake?.(); wake = null; };
    // Each hand-over waits until the loop has taken the item: the subscription reads no further.
    const push = (item) => new Promise((taken) => { items.push({ item, taken }); notify(); });
    const stop = this.subscribe(options, {
      onEvent: (event, id) => push({ kind: "event", event, id }),
      onGap: (gap) => push({ kind: "gap", gap }),
      onConnected: (connected) => push({ kind: "connected", connected }),
      onStatus: (status) => { if (status === "ended") { ended = true; notify(); } },
      onError: (error, { final }) => { if (final) { failure = error; ended = true; notify(); } },
    });
    const abort = () => { ended = true; stop(); notify(); };
    if (signal?.aborted) abort();
    else signal?.addEventListener("abort", abort, { once: true });
    try {
      for (;;) {
        if (items.length > 0 && !signal?.aborted) {
          const { item, taken } = items.shift();
          taken();
          yield item;
        } else if (ended) {
          if (failure && !signal?.aborted) throw failure;
          return;
        } else {
          await new Promise((resolve) => { wake = resolve; });
        }
      }
    } finally {
      signal?.removeEventListener("abort", abort);
      stop();
      for (const { taken } of items.splice(0)) taken();
    }
  }

  /**
   * The URL of a stream, for a plain `EventSource` (which cannot send headers, nor resume from
   * a position of your choosing except through `after`). `frames: "message"` asks for frames
   * without an `event:` line, so `onmessage` sees every event (its type is in the JSON);
   * `accessToken` puts a read key in the URL (streams only accept it there; a server started with
   * `--no-query-keys` refuses it), `ticket` a stream ticket (`streamTicket()`), which is
   * short-lived and opens that one stream only.
   */
  streamURL({ run, project, after, from, frames, accessToken, ticket, logs, wait, format, ...filters } = {}) {
    const query = { ...filterQuery(filters), after, from, frames, format, access_token: accessToken, ticket };
    if (run !== undefined) {
      return this.url(`/v1/runs/${segment(run)}/stream`, { ...query, project: project ?? this.project, wait: wait ? 1 : undefined });
    }
    const name = project ?? this.project;
    if (name === undefined) throw new TypeError("streamURL needs a run or a project");
    return this.url(`/v1/projects/${segment(name)}/stream`, { ...query, logs });
  }

  // MARK: HTTP

  /** The headers of every request: the `headers` option's, called if it is a function. */
  async headers() {
    const headers = typeof this.#headers === "function" ? await this.#headers() : this.#headers;
    return { ...(headers ?? {}) };
  }

  /**
   * A fetch of this client's (its headers, its fetch); network failures become HeraldError status 0.
   * `authorization: false` leaves the client's Authorization header out (a request that carries a
   * stream ticket instead).
   */
  async fetch(url, { headers = {}, signal, authorization = true, ...init } = {}) {
    let own;
    try {
      own = await this.headers();
    } catch (error) {
      throw new HeraldError(0, "headers_failed", `the client's headers option threw: ${error?.message ?? error}`, { cause: error });
    }
    if (!authorization) own = Object.fromEntries(Object.entries(own).filter(([name]) => name.toLowerCase() !== "authorization"));
    try {
      return await this.#fetch(url, { ...init, headers: { ...own, ...headers }, signal });
    } catch (error) {
      if (signal?.aborted && !(signal.reason instanceof Timeout)) throw error;  // the caller's own abort
      throw new HeraldError(0, "unreachable", `${this.baseUrl || "the server"}: ${error?.cause?.message ?? error?.message ?? error}`,
        { cause: error });
    }
  }

  /** Makes a HeraldError of a refused answer; a 401 also tells `onUnauthorized` (not a refused stream ticket: a subscription replaces it). */
  refusal(response, text) {
    const error = HeraldError.fromAnswer(response.status, text, response.headers.get("Retry-After"));
    if (response.status === 401 && error.code !== "invalid_ticket") call(this.#onUnauthorized, error);
    return error;
  }

  async #request(method, path, { query, body, contentType, signal }) {
    const timed = deadlineSignal(signal, this.timeoutMs);
    try {
      const headers = { Accept: "application/json" };
      if (contentType) headers["Content-Type"] = contentType;
      const response = await this.fetch(this.url(path, query), { method, headers, body, signal: timed.signal });
      let text;
      try {
        text = await response.text();
      } catch (error) {
        if (signal?.aborted) throw error;
        throw new HeraldError(0, "unreachable", `the answer was cut off: ${error?.message ?? error}`, { cause: error });
      }
      if (!response.ok) throw this.refusal(response, text);
      return text ? JSON.parse(text) : null;
    } finally {
      timed.clear();
    }
  }
}

// MARK: - Subscription

/** A stream that closes sooner than this without an event counts as a failure. */
const SHORT_LIVED_MS = 3000;

/**
 * One live subscription: reads the SSE stream with fetch (so headers such as Authorization go
 * with it, and the resume point is ours), reconnects with `Last-Event-ID` and backoff, and
 * falls back to polling the query API while a stream cannot be held open but the API answers.
 * With the `ticket` option each connection carries a fresh stream ticket instead of the
 * Authorization header (and nothing is polled: a ticket opens its stream only); a ticket the
 * stream refuses (expired) is replaced at once.
 * Statuses: "connecting" → "live" ⇄ "reconnecting" / "polling" → "ended".
 */
class Subscription {
  status = null;
  /** The resume point: the id of the last event handed over (a run's seq, a project's position). */
  after = null;
  /** A project stream's `herald.connected` notice, once it came. */
  connected = null;

  #client;
  #handlers;
  #options;
  #failures = 0;
  #stopped = false;
  #ended = false;
  #controller = null;
  #timer = null;
  #pollTimer = null;
  #polling = false;
  #retryHint = null;
  /** The stream's refusal of the last ticket (401 invalid_ticket), told to the ticket callback. */
  #ticketRefused = null;
  /** Tickets refused in a row: past two, fresh ones do not help and the refusal is final. */
  #ticketRefusals = 0;

  constructor(client, options = {}, handlers = {}) {
    const { run, after, from, wait = false, heartbeatMs = 15000, readTimeoutMs, pollEveryMs = 3000, probeEveryMs = 15000,
      retryBaseMs = 1000, maxBackoffMs = 30000, ticket } = options;
    const project = options.project ?? client.project;
    if (run === undefined && project === undefined) throw new TypeError("subscribe to a run ({run}) or a project ({project})");
    if (ticket !== undefined && typeof ticket !== "function") throw new TypeError("ticket must be a function answering a stream ticket");
    this.#client = client;
    this.#handlers = handlers;
    this.#options = {
      run, project, wait, pollEveryMs, probeEveryMs, retryBaseMs, maxBackoffMs, ticket,
      fromNow: from === "now" && (after === undefined || after === null),
      filters: filterQuery(options),
      logs: options.logs,
      // Three heartbeats without a byte: the connection is dead even if no error says so.
      readTimeoutMs: readTimeoutMs ?? 3 * heartbeatMs,
    };
    this.after = after === undefined || after === null ? null : String(after);
  }

  get #isRun() {
    return this.#options.run !== undefined;
  }

  start() {
    this.#connect();
  }

  stop() {
    this.#stopped = true;
    this.#polling = false;
    this.#controller?.abort();
    clearTimeout(this.#timer);
    clearTimeout(this.#pollTimer);
  }

  get #done() {
    return this.#stopped || this.#ended;
  }

  #setStatus(status) {
    if (this.#stopped || this.status === status || this.status === "ended") return;
    this.status = status;
    call(this.#handlers.onStatus, status);
  }

  #end() {
    if (this.#done) return;
    this.#setStatus("ended");
    this.#ended = true;
    this.#polling = false;
    this.#controller?.abort();
    clearTimeout(this.#timer);
    clearTimeout(this.#pollTimer);
  }

  /** Retrying cannot fix it: tell, and end. */
  #fail(error) {
    if (this.#done) return;
    call(this.#handlers.onError, error, { final: true });
    this.#end();
  }

  /** A 4xx other than 408 and 429 (a key refused, a run missing, a filter the server refuses): retrying cannot fix it. */
  #isFinal(error) {
    if (error.code === "headers_failed" || error.code === "ticket_failed") return !error.transient;
    // A refused ticket (expired, say) is replaced by a fresh one, unless fresh ones are refused too.
    if (error.code === "invalid_ticket" && this.#options.ticket) return this.#ticketRefusals > 2;
    return error.status >= 400 && error.status < 500 && error.status !== 408 && error.status !== 429
      && !(error.status === 404 && this.#options.wait);
  }

  #streamURL(ticket) {
    const { run, project, filters, logs, wait, fromNow } = this.#options;
    const from = fromNow && this.after === null ? "now" : undefined;
    if (this.#isRun) {
      // With a ticket there is no query to ask the run's last seq: the stream starts from now itself.
      return this.#client.url(`/v1/runs/${segment(run)}/stream`,
        { ...filters, project, wait: wait ? 1 : undefined, from: ticket ? from : undefined, ticket });
    }
    return this.#client.url(`/v1/projects/${segment(project)}/stream`, { ...filters, logs, from, ticket });
  }

  /** A fresh ticket from the `ticket` option, called before every connection; undefined without one. */
  async #ticket() {
    const callback = this.#options.ticket;
    if (!callback) return undefined;
    const { run, project } = this.#options;
    let ticket;
    try {
      ticket = await callback({ run, project, refused: this.#ticketRefused });
    } catch (error) {
      if (error instanceof HeraldError) throw error;  // e.g. streamTicket()'s own refusal: final or not as its status says
      throw new HeraldError(0, "ticket_failed", `the ticket option threw: ${error?.message ?? error}`, { cause: error });
    }
    if (typeof ticket !== "string" || ticket === "") {
      throw new HeraldError(0, "ticket_failed", "the ticket option answered no ticket", { cause: new TypeError(`got ${typeof ticket}`) });
    }
    return ticket;
  }

  /** Opens the stream and reads it; `probe` when the polling loop tries it (a failure changes nothing then). */
  async #connect({ probe = false } = {}) {
    if (this.#done) return;
    if (!probe && !this.#polling) this.#setStatus(this.status === null ? "connecting" : "reconnecting");
    this.#controller?.abort();  // never two streams
    const controller = new AbortController();
    this.#controller = controller;
    const current = () => !this.#done && controller === this.#controller;
    let opened = null;
    let handed = 0;
    try {
      await this.#resolveNow();
      const ticket = await this.#ticket();
      if (!current()) return;
      const headers = { Accept: "text/event-stream" };
      if (this.after !== null) headers["Last-Event-ID"] = this.after;
      // An answer that never starts (a stalled proxy) is given up like a silent stream.
      const timer = setTimeout(() => controller.abort(new Timeout("no answer in the read timeout")), this.#options.readTimeoutMs);
      const response = await this.#client.fetch(this.#streamURL(ticket),
        { headers, signal: controller.signal, authorization: ticket === undefined })
        .finally(() => clearTimeout(timer));
      if (!current()) return;
      if (response.status === 204) return this.#end();
      if (!response.ok || !response.body) {
        const error = this.#client.refusal(response, await response.text().catch(() => ""));
        if (error.code === "invalid_ticket") {
          this.#ticketRefused = error;
          this.#ticketRefusals += 1;
        }
        throw error;
      }
      this.#ticketRefused = null;
      this.#ticketRefusals = 0;
      opened = Date.now();
      this.#stopPolling();
      this.#setStatus("live");
      handed = await this.#read(response.body, controller);
      if (!current()) return;
      if (Date.now() - opened < SHORT_LIVED_MS && handed === 0) throw new HeraldError(0, "stream_closed", "the stream closed at once");
      // The server ended the stream (its lifetime cap, a shutdown): resume at once, as EventSource does.
      this.#failures = 0;
      this.#setStatus("reconnecting");
      this.#timer = setTimeout(() => this.#connect(), Math.min(this.#retryHint ?? 250, 250) * Math.random());
    } catch (caught) {
      if (!current()) return;
      const error = caught instanceof HeraldError ? caught
        : new HeraldError(0, "unreachable", `the stream broke: ${caught?.message ?? caught}`, { cause: caught });
      if (this.#isFinal(error)) return this.#fail(error);
      if (error.code === "invalid_ticket" && this.#ticketRefusals === 1) {
        // Expired (the callback handed over an old one, or the clock moved on): a fresh one at once.
        call(this.#handlers.onError, error, { final: false, retryInMs: 0 });
        this.#setStatus("reconnecting");
        this.#timer = setTimeout(() => this.#connect(), 0);
        return;
      }
      // A stream that worked for a while starts the count again: this is the first failure since.
      if (opened !== null && (handed > 0 || Date.now() - opened >= SHORT_LIVED_MS)) this.#failures = 0;
      this.#failures += 1;
      if (probe || this.#polling) return;  // the polling loop goes on, and probes again later
      if (this.#failures >= 3 && this.#canPoll && (await this.#poll())) {
        if (!this.#done && !this.#polling && controller === this.#controller) this.#startPolling();
        return;
      }
      if (this.#done) return;
      const delay = Math.max(backoff(this.#failures, this.#options.retryBaseMs, this.#options.maxBackoffMs),
        (error.retryAfter ?? 0) * 1000);
      call(this.#handlers.onError, error, { final: false, retryInMs: Math.round(delay) });
      this.#setStatus("reconnecting");
      this.#timer = setTimeout(() => this.#connect(), delay);
    }
  }

  /** `from: "now"` on a run stream: resume after the run's last seq as it is now, so a reconnect neither repeats nor skips. */
  async #resolveNow() {
    if (!this.#isRun || !this.#options.fromNow || this.after !== null || this.#options.ticket) return;
    try {
      const run = await this.#client.run(this.#options.run, { project: this.#options.project });
      this.after = String(run.lastSeq ?? 0);
    } catch (error) {
      if (error?.status !== 404) throw error;
      this.after = "0";  // no event yet: everything is new (and without `wait` the stream says 404)
    }
  }

  /** Reads SSE messages until the stream ends; answers how many events were handed over. */
  async #read(body, controller) {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    const parser = new SSEParser();
    let handed = 0;
    let timer = null;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => controller.abort(new Timeout("no byte in the read timeout")), this.#options.readTimeoutMs);
    };
    try {
      arm();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return handed;
        arm();
        for (const message of parser.feed(decoder.decode(value, { stream: true }))) {
          this.#retryHint = parser.retry;
          if (await this.#message(message)) handed += 1;
          if (this.#done || controller !== this.#controller) return handed;
        }
      }
    } finally {
      clearTimeout(timer);
      reader.cancel().catch(() => {});
    }
  }

  /** One SSE message; answers whether it handed an event over. */
  async #message({ event: type, data, id }) {
    if (type === "herald.connected") {
      this.connected = JSON.parse(data);
      // "now" becomes a position at once, so a reconnect resumes from it.
      if (this.after === null && this.#options.fromNow && this.connected.position !== undefined) {
        this.after = String(this.connected.position);
      }
      await call(this.#handlers.onConnected, this.connected);
      return false;
    }
    if (type === "herald.gap") {
      const gap = JSON.parse(data);
      // The stream continues elsewhere than asked (ahead of it, or retention): that is the resume point now.
      this.after = id ?? String(gap.continuesAfter);
      await call(this.#handlers.onGap, gap);
      return false;
    }
    if (type.startsWith("herald.")) {  // a notice this client does not know yet
      if (id !== null && this.#isAhead(id)) this.after = id;
      return false;
    }
    return this.#deliver(JSON.parse(data), id);
  }

  #isAhead(id) {
    return this.after === null || Number(id) > Number(this.after);
  }

  /** Hands an event over unless it is at or before the resume point; a run's terminal event ends the subscription. */
  async #deliver(event, id) {
    if (this.#done || (id !== null && !this.#isAhead(id))) return false;
    if (id !== null) this.after = id;
    await call(this.#handlers.onEvent, event, id);
    if (this.#isRun && isTerminal(event)) this.#end();
    return true;
  }

  // MARK: Polling

  /** Only a run has a query API to poll (by seq, the run stream's ids); a ticket opens its stream and no query. */
  get #canPoll() {
    return this.#isRun && this.#options.pollEveryMs > 0 && !this.#options.ticket;
  }

  /** Reads the query API after the resume point; false when it did not answer. */
  async #poll() {
    const { run, project, filters } = this.#options;
    const filtered = Object.values(filters).some((value) => value !== undefined);
    try {
      for (;;) {
        const page = await this.#client.events(run, { ...filters, project, after: this.after ?? 0, limit: 1000 });
        for (const event of page.events) {
          if (this.#done) return true;
          await this.#deliver(event, String(event.seq));
        }
        if (this.#done) return true;
        if (page.hasMore && page.events.length > 0) continue;
        // A stream sends the run's end even past the reader's filters: so does polling.
        if (filtered) {
          const end = await this.#client.events(run, { types: TERMINAL_TYPES, project, after: this.after ?? 0, limit: 1 });
          for (const event of end.events) await this.#deliver(event, String(event.seq));
        }
        return true;
      }
    } catch (error) {
      if (error instanceof HeraldError && error.status === 404 && this.#options.wait) return true;  // nothing yet
      if (error instanceof HeraldError && this.#isFinal(error)) this.#fail(error);
      return false;
    }
  }

  #startPolling() {
    this.#polling = true;
    this.#setStatus("polling");
    let sinceProbe = 0;
    const tick = async () => {
      if (!this.#polling) return;
      const answered = await this.#poll();
      if (!this.#polling || this.#done) return;  // the stream took over meanwhile, or the run ended
      this.#setStatus(answered ? "polling" : "reconnecting");
      sinceProbe += this.#options.pollEveryMs;
      if (sinceProbe >= this.#options.probeEveryMs) {
        sinceProbe = 0;
        this.#connect({ probe: true });
      }
      this.#pollTimer = setTimeout(tick, this.#options.pollEveryMs);
    };
    this.#pollTimer = setTimeout(tick, this.#options.pollEveryMs);
  }

  #stopPolling() {
    this.#polling = false;
    clearTimeout(this.#pollTimer);
  }
}

// MARK: - Emitter

const RANK = Object.freeze({ system: -1, milestone: 0, decision: 1, action: 2, state: 3, detail: 4 });

/**
 * Publishes a producer's events: `emit()` never blocks and never throws. At the call it checks
 * the verbosity, makes the id (a ULID), encodes the event (later changes to the caller's object
 * cannot leak in) and queues it; one delivery loop sends the queue in batches, in emit order,
 * retrying temporary failures with the same ids, so a lost answer never duplicates an event.
 */
class Emitter {
  #client;
  #queue = [];
  #emitted = 0;
  #delivered = 0;
  #dropped = 0;
  #failed = 0;
  #filtered = 0;
  #settled = 0;
  #accepting = true;
  #sending = false;
  #flushes = [];
  #wakeLinger = null;
  #deadline = null;
  #controller = new AbortController();
  #closing = null;

  constructor(client, { run, agent, project, verbosity = "detail", maxBatchSize = 500, lingerMs = 5, bufferCapacity = 10000,
    shutdownTimeoutMs = 5000, maxBackoffMs = 5000, onError } = {}) {
    if (!(verbosity in RANK) || verbosity === "system") throw new TypeError(`verbosity must be one of ${LEVELS.join(", ")}`);
    if (!(maxBatchSize >= 1 && bufferCapacity >= 1)) throw new TypeError("maxBatchSize and bufferCapacity must be positive");
    this.#client = client;
    Object.assign(this, { run, agent, project: project ?? client.project, verbosity, maxBatchSize, lingerMs, bufferCapacity,
      shutdownTimeoutMs, maxBackoffMs });
    this.onError = onError ?? ((error, { final }) => (final ? console.error : console.warn)(`herald: ${error.message}`));
  }

  /**
   * Queues one event; answers its id, or null when it was filtered, dropped (buffer full,
   * emitter closed) or could not be encoded (counted `failed`, reported to `onError`).
   *
   * @param {string} type e.g. "step.progress" or a custom "my.thing"
   * @param {object} [data] the payload, a JSON object
   * @param {{run?: string, agent?: string, level?: string, causedBy?: (string|null)[], turn?: number, project?: string, id?: string}} [options]
   */
  emit(type, data, { run, agent, level, causedBy, turn, project, id } = {}) {
    let line;
    let eventId;
    try {
      if (typeof type !== "string") throw new TypeError(`the type must be a string, not ${typeof type}`);
      if (RANK[level ?? defaultLevel(type)] > RANK[this.verbosity]) {
        this.#filtered += 1;
        return null;
      }
      if (!this.#accepting || this.#emitted - this.#settled >= this.bufferCapacity) {
        this.#dropped += 1;
        return null;
      }
      run ??= this.run;
      if (run === undefined || run === null) throw new TypeError("no run: give run to the emitter or to emit()");
      if (data !== undefined && (data === null || typeof data !== "object" || Array.isArray(data))) {
        throw new TypeError("data must be a JSON object");
      }
      eventId = id ?? ulid();
      const event = { id: eventId, run: String(run), type, time: microseconds(new Date()) };
      project ??= this.project;
      agent ??= this.agent;
      if (project !== undefined) event.project = String(project);
      if (level !== undefined) event.level = level;
      if (agent !== undefined) event.agent = String(agent);
      if (turn !== undefined) event.turn = turn;
      const causes = causedBy?.filter(Boolean);  // a filtered cause (null) is left out
      if (causes?.length) event.causedBy = causes;
      if (data !== undefined) event.data = data;
      line = JSON.stringify(event);
    } catch (error) {
      this.#failed += 1;
      call(this.onError, error, { final: true, ids: [] });
      return null;
    }
    this.#queue.push({ id: eventId, type, line });
    this.#emitted += 1;
    if (this.#queue.length >= this.maxBatchSize) this.#wakeLinger?.();
    if (!this.#sending) this.#send();
    return eventId;
  }

  /** What became of the events: `emitted` (each ends `delivered` or `failed`, or is still `pending`), `dropped`, `filtered`. */
  get stats() {
    return { emitted: this.#emitted, delivered: this.#delivered, dropped: this.#dropped, failed: this.#failed,
      filtered: this.#filtered, pending: this.#emitted - this.#settled };
  }

  /**
   * Resolves true once every event emitted before the call is delivered or failed; false if
   * `timeoutMs` passes first. The emitter stops lingering for fuller batches meanwhile.
   */
  flush({ timeoutMs } = {}) {
    const target = this.#emitted;
    if (this.#settled >= target) return Promise.resolve(true);
    return new Promise((resolve) => {
      let timer;
      const waiter = { target, resolve: (settled) => { clearTimeout(timer); resolve(settled); } };
      this.#flushes.push(waiter);
      this.#wakeLinger?.();
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.#flushes = this.#flushes.filter((w) => w !== waiter);
          resolve(false);
        }, timeoutMs);
      }
    });
  }

  /**
   * Stops accepting events, delivers what is queued for up to `shutdownTimeoutMs`, then gives
   * up on the rest (counted `failed`, reported) and cancels a delivery in flight. Resolves to
   * the final stats; calling it again answers the same promise.
   */
  close() {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown() {
    this.#accepting = false;
    this.#deadline = Date.now() + this.shutdownTimeoutMs;
    let timer;
    const settled = await Promise.race([
      this.flush().then(() => true),
      new Promise((resolve) => { timer = setTimeout(() => resolve(false), this.shutdownTimeoutMs); }),
    ]);
    clearTimeout(timer);
    if (!settled) {
      const left = this.#emitted - this.#settled;
      const ids = this.#queue.map((entry) => entry.id);
      this.#queue = [];
      this.#controller.abort();
      this.#settle(0, left);
      call(this.onError, new HeraldError(0, "gave_up", `close gave up on ${left} undelivered event(s) after ${this.shutdownTimeoutMs} ms`),
        { final: true, ids });
    }
    return this.stats;
  }

  #settle(delivered, failed) {
    this.#delivered += delivered;
    this.#failed += failed;
    this.#settled += delivered + failed;
    this.#flushes = this.#flushes.filter((waiter) => {
      if (this.#settled < waiter.target) return true;
      waiter.resolve(true);
      return false;
    });
  }

  /** The delivery loop: one batch at a time, so events arrive in emit order. */
  async #send() {
    this.#sending = true;
    try {
      while (this.#queue.length > 0) {
        if (this.#accepting && this.#flushes.length === 0 && this.#queue.length < this.maxBatchSize && this.lingerMs > 0) {
          await new Promise((resolve) => {
            const timer = setTimeout(resolve, this.lingerMs);
            this.#wakeLinger = () => { clearTimeout(timer); resolve(); };
          });
          this.#wakeLinger = null;
        }
        const batch = this.#queue.splice(0, this.maxBatchSize);
        if (batch.length === 0) continue;
        let outcome;
        try {
          outcome = await this.#deliver(batch);
        } catch (error) {  // a bug, not a delivery failure: the loop must outlive any one batch
          call(this.onError, error, { final: true, ids: batch.map((entry) => entry.id) });
          outcome = { delivered: 0, failed: batch.length };
        }
        const { delivered, failed } = outcome;
        if (this.#controller.signal.aborted) return;  // close gave up and counted them already
        this.#settle(delivered, failed);
      }
    } finally {
      this.#sending = false;
    }
  }

  /** Delivers one batch, retrying what may pass later; answers {delivered, failed}. */
  async #deliver(batch) {
    let entries = batch;
    let failed = 0;
    for (let attempt = 1; entries.length > 0; attempt++) {
      const signal = this.#controller.signal;
      try {
        const answer = await this.#post(entries, signal);
        const rejected = answer?.rejected ?? [];
        if (rejected.length > 0) this.#refused(entries, rejected.map((r) => [r.index, r]), answer);
        return { delivered: entries.length - rejected.length, failed: failed + rejected.length };
      } catch (error) {
        if (signal.aborted) return { delivered: 0, failed: failed + entries.length };
        if (!(error instanceof HeraldError)) throw error;
        if (error.status === 413) {
          if (entries.length === 1) {
            call(this.onError, error, { final: true, ids: [entries[0].id] });
            return { delivered: 0, failed: failed + 1 };
          }
          const half = Math.ceil(entries.length / 2);
          const first = await this.#deliver(entries.slice(0, half));
          const second = await this.#deliver(entries.slice(half));
          return { delivered: first.delivered + second.delivered, failed: failed + first.failed + second.failed };
        }
        if (!error.transient) {
          // A refusal naming events (details[].index) spares the others; one naming none (401, 403, 404) refuses all.
          const named = new Map();
          for (const detail of error.details) {
            if (Number.isInteger(detail?.index) && detail.index >= 0 && detail.index < entries.length) named.set(detail.index, detail);
          }
          if (named.size === 0) {
            call(this.onError, error, { final: true, ids: entries.map((e) => e.id) });
            return { delivered: 0, failed: failed + entries.length };
          }
          this.#refused(entries, [...named], error);
          failed += named.size;
          entries = entries.filter((_, index) => !named.has(index));
          attempt = 0;
          continue;
        }
        if (this.#deadline !== null && Date.now() >= this.#deadline) return { delivered: 0, failed: failed + entries.length };
        if (attempt === 1) call(this.onError, error, { final: false, ids: entries.map((e) => e.id) });
        let delay = Math.max(backoff(attempt, 100, this.maxBackoffMs), (error.retryAfter ?? 0) * 1000);
        if (this.#deadline !== null) delay = Math.min(delay, this.#deadline - Date.now());
        await sleep(delay, signal);
      }
    }
    return { delivered: 0, failed };
  }

  /** Reports refused events: one HeraldError naming them, with their ids. */
  #refused(entries, refusals, cause) {
    const ids = refusals.map(([index]) => entries[index].id);
    const [index, first] = refusals[0];
    const what = ids.length === 1 ? `event ${ids[0]} (${entries[index].type})` : `${ids.length} events, the first`;
    const error = cause instanceof HeraldError ? cause
      : new HeraldError(200, first.code ?? "rejected", `${what} refused: ${first.message ?? ""}`,
        { details: refusals.flatMap(([, r]) => r.details ?? [r]) });
    call(this.onError, error, { final: true, ids });
  }

  /** One POST of NDJSON with `?partial=true`: the valid events are stored, the others named. */
  async #post(entries, signal) {
    const client = this.#client;
    const timed = deadlineSignal(signal, client.timeoutMs);
    try {
      const response = await client.fetch(client.url("/v1/events", { partial: true }), {
        method: "POST",
        headers: { "Content-Type": "application/x-ndjson", Accept: "application/json" },
        body: entries.map((entry) => entry.line).join("\n") + "\n",
        signal: timed.signal,
      });
      let text;
      try {
        text = await response.text();
      } catch (error) {
        throw new HeraldError(0, "unreachable", `the answer was cut off: ${error?.message ?? error}`, { cause: error });
      }
      if (!response.ok) throw client.refusal(response, text);
      try {
        return JSON.parse(text);
      } catch {
        throw new HeraldError(0, "not_herald", "a 200 answer that is not Herald's JSON (a proxy in the way?)");
      }
    } finally {
      timed.clear();
    }
  }
}

/** RFC 3339 UTC with microseconds, as the server writes times. */
function microseconds(date) {
  return date.toISOString().replace("Z", "000Z");
}
