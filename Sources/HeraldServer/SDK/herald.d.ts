// Types for herald.js, Herald's JavaScript client (served as /sdk/herald.d.ts). Hand-written;
// the built-in event vocabulary below follows `herald vocabulary --json`, and a test fails when
// a type of the server's vocabulary is missing here.

// MARK: - Events

/** Verbosity levels, coarsest first; `system` always passes a verbosity filter. */
export type Level = "milestone" | "decision" | "action" | "state" | "detail" | "system";

/** One JSON Patch operation (RFC 6902), as `state.delta` carries them. */
export interface JsonPatchOperation {
  op: "add" | "remove" | "replace" | "move" | "copy" | "test";
  path: string;
  from?: string;
  value?: unknown;
}

/**
 * The `data` of each built-in type, with the fields the server checks on ingest (other fields
 * pass through, hence the index signatures).
 */
export interface EventDataMap {
  /** level action; needs an agent. */
  "action": { actionType: string; payload?: unknown; [field: string]: unknown };
  /** level milestone; needs an agent. */
  "agent.completed": { prUrl?: string; summary?: string; [field: string]: unknown };
  /** level milestone; needs an agent. */
  "agent.failed": { error: string; willRetry: boolean; [field: string]: unknown };
  /** level detail; needs an agent. */
  "agent.log": { line: string; lineNumber?: number; logTime?: string; truncated?: boolean; [field: string]: unknown };
  /** level milestone; needs an agent. */
  "agent.started": { role?: string; [field: string]: unknown };
  /** level decision; needs an agent. */
  "decision": { decisionType: string; oldValue?: unknown; newValue: unknown; reason?: string; [field: string]: unknown };
  /** level detail. */
  "detail": { calculationType: string; intermediateValues?: unknown; [field: string]: unknown };
  /** level action. */
  "message.completed": { messageId: string; [field: string]: unknown };
  /** level detail. */
  "message.delta": { messageId: string; delta: string; [field: string]: unknown };
  /** level action. */
  "message.started": { messageId: string; role?: "developer" | "system" | "assistant" | "user"; name?: string; [field: string]: unknown };
  /** level milestone. */
  "milestone.phase_transition": { from?: string; to: string; [field: string]: unknown };
  /** level milestone; needs a turn. */
  "milestone.turn_end": {  [field: string]: unknown };
  /** level milestone; needs a turn. */
  "milestone.turn_start": {  [field: string]: unknown };
  /** level detail. */
  "reasoning.completed": { messageId: string; [field: string]: unknown };
  /** level detail. */
  "reasoning.delta": { messageId: string; delta: string; [field: string]: unknown };
  /** level detail. */
  "reasoning.message_completed": { messageId: string; [field: string]: unknown };
  /** level detail. */
  "reasoning.message_started": { messageId: string; [field: string]: unknown };
  /** level detail. */
  "reasoning.started": { messageId: string; [field: string]: unknown };
  /** level decision; at least one of content, done, gaps, newTasks. */
  "reflection": { content?: string; done?: boolean; gaps?: unknown; newTasks?: unknown; [field: string]: unknown };
  /** level milestone; ends the run. */
  "run.cancelled": { reason?: string; [field: string]: unknown };
  /** level milestone; ends the run. */
  "run.completed": { summary?: string; [field: string]: unknown };
  /** level milestone; ends the run. */
  "run.failed": { error: string; code?: string; [field: string]: unknown };
  /** level milestone. */
  "run.queued": { name?: string; [field: string]: unknown };
  /** level milestone. */
  "run.started": { name?: string; goal?: string; [field: string]: unknown };
  /** level state. */
  "state": { variable: string; old?: unknown; new: unknown; scope?: string; [field: string]: unknown };
  /** level state. */
  "state.delta": { delta: JsonPatchOperation[]; [field: string]: unknown };
  /** level state. */
  "state.snapshot": { snapshot: unknown; [field: string]: unknown };
  /** level action. */
  "step.completed": { stepId: string; tokensUsed?: number; artifactId?: string; [field: string]: unknown };
  /** level action. */
  "step.failed": { stepId: string; code: string; message: string; [field: string]: unknown };
  /** level action. */
  "step.progress": { stepId: string; percent: number; label?: string; [field: string]: unknown };
  /** level action. */
  "step.queued": { stepId: string; label?: string; [field: string]: unknown };
  /** level action. */
  "step.started": { stepId: string; label?: string; [field: string]: unknown };
  /** level decision. */
  "task.completed": { taskId: string; result?: unknown; [field: string]: unknown };
  /** level decision. */
  "task.failed": { taskId: string; error: string; [field: string]: unknown };
  /** level decision. */
  "task.started": { taskId: string; title?: string; [field: string]: unknown };
  /** level decision. */
  "task.status_changed": { taskId: string; old: string; new: string; [field: string]: unknown };
  /** level decision. */
  "task.subtask_status_changed": { taskId: string; subtaskId: string; old: string; new: string; [field: string]: unknown };
  /** level decision. */
  "task.subtask_unblocked": { taskId: string; subtaskId: string; unblockedBy: string; [field: string]: unknown };
  /** level detail; at least one of content, text. */
  "thought": { content?: string; text?: string; [field: string]: unknown };
  /** level detail. */
  "tool.call_args": { toolCallId: string; delta: string; [field: string]: unknown };
  /** level action. */
  "tool.call_completed": { toolCallId: string; [field: string]: unknown };
  /** level action. */
  "tool.call_result": { toolCallId: string; messageId: string; content: string | unknown[]; role?: "tool"; [field: string]: unknown };
  /** level action. */
  "tool.call_started": { toolCallId: string; toolCallName: string; parentMessageId?: string; [field: string]: unknown };
  /** level system. */
  "system.error": { errorType: string; status?: string; retryCount?: number; message?: string; [field: string]: unknown };
}

/** A type of the built-in vocabulary. */
export type BuiltInType = keyof EventDataMap;

/** The fields every stored event has, whatever its type. */
export interface EventFields {
  /** A ULID, unique and time-sortable. */
  id: string;
  project: string;
  run: string;
  /** 1, 2, 3 … gapless per run, in commit order. */
  seq: number;
  level: Level;
  /** RFC 3339 UTC with microseconds. */
  time: string;
  agent?: string;
  turn?: number;
  /** Ids of earlier events of the same run. */
  causedBy?: string[];
}

/** A stored event of one built-in type. */
export type EventOf<T extends BuiltInType> = EventFields & { type: T; data: EventDataMap[T] };

/** Every built-in type, discriminated on `type`: a `switch (event.type)` narrows `data`. */
export type BuiltInEvent = { [T in BuiltInType]: EventOf<T> }[BuiltInType];

/** An event of a custom type (`my.custom.thing`): any JSON object as `data`. */
export interface CustomEvent extends EventFields {
  type: string;
  data: unknown;
}

/**
 * What streams and queries hand over. Narrow it with `isBuiltIn(event)` first: a union with
 * `type: string` cannot be narrowed by comparing `type` alone.
 */
export type HeraldEvent = BuiltInEvent | CustomEvent;

/** An event as it is published: only `run` (or the emitter's) and `type` are required. */
export interface EventInput {
  run: string;
  type: string;
  /** A ULID; made by the client when absent, so retries are stored once. */
  id?: string;
  project?: string;
  agent?: string;
  turn?: number;
  level?: Level;
  /** RFC 3339 with a UTC offset; the receipt time when absent. */
  time?: string;
  causedBy?: string[];
  data?: Record<string, unknown>;
}

/** The types that end a run. */
export declare const TERMINAL_TYPES: readonly ["run.completed", "run.failed", "run.cancelled"];
/** Verbosity levels, coarsest first. */
export declare const LEVELS: readonly ["milestone", "decision", "action", "state", "detail"];
/** The level the server gives a type when the event names none (custom types: `action`). */
export declare function defaultLevel(type: string): Level;
/** Whether the event is its run's last. */
export declare function isTerminal(event: { type: string }): event is EventOf<"run.completed" | "run.failed" | "run.cancelled">;
/** Whether the event's type is a built-in one: narrows to `BuiltInEvent`. */
export declare function isBuiltIn(event: HeraldEvent): event is BuiltInEvent;
/** A new ULID (26 characters, Crockford base 32); strictly increasing within this page or process. */
export declare function ulid(): string;

// MARK: - Answers

export interface Run {
  run: string;
  project: string;
  name: string | null;
  status: "queued" | "running" | "completed" | "failed" | "cancelled" | string;
  startedAt: string | null;
  updatedAt: string;
  finishedAt: string | null;
  eventCount: number;
  lastSeq: number;
  firstSeq?: number;
  agents: string[];
  subscribers: number;
}

export interface RunsPage {
  runs: Run[];
  nextCursor: string | null;
}

export interface EventsPage {
  events: HeraldEvent[];
  total: number;
  hasMore: boolean;
}

export interface Causality {
  event: HeraldEvent;
  upstream: HeraldEvent[];
  downstream: HeraldEvent[];
  /** Causes that are not stored. */
  dangling: string[];
}

export interface Access {
  caller: string;
  role: "read" | "publish" | "admin";
  /** The projects the credential covers, or "*" for all. */
  projects: string[] | "*";
  authentication: boolean;
}

export interface ProjectSummary {
  project: string;
  /** Runs stored in the project. */
  runs: number;
  /** Of them, queued or running. */
  activeRuns: number;
  /** The latest update of its runs. */
  updatedAt: string;
}

export interface Projects {
  projects: ProjectSummary[];
}

export interface IngestAnswer {
  accepted: number;
  duplicates: number;
  events: { id: string; run: string; seq: number; index?: number; duplicate?: boolean }[];
  /** With `partial: true`: the refused events, by index in the request. */
  rejected?: { index: number; code: string; message: string; details?: ErrorDetail[] }[];
}

export interface ErrorDetail {
  /** The event's index in the request, when the refusal names one. */
  index?: number;
  field?: string;
  code?: string;
  message?: string;
  [key: string]: unknown;
}

/** A stream's in-band notice that it continues elsewhere than asked. */
export interface Gap {
  /** "ahead": the resume point was past the stream's end; "retention": what lay between was deleted. */
  reason: "ahead" | "retention" | string;
  requested: number;
  continuesAfter: number;
  message: string;
}

/** A project stream's first notice. */
export interface Connected {
  project: string;
  /** The names of the runs queued or running now (at most 1,000). */
  activeRuns: string[];
  /** The same runs as `GET /v1/runs` lists them, so a board labels them without a query per run. */
  runs: Run[];
  /** The project's last position "now": a `from: "now"` subscription resumes from it. */
  position: number;
}

// MARK: - Errors

/** A refusal from the server, or a failure to reach it (`status` 0, `code` "unreachable"). */
export declare class HeraldError extends Error {
  constructor(status: number, code: string, message: string, more?: { details?: ErrorDetail[]; retryAfter?: number | null; cause?: unknown });
  /** The HTTP status; 0 when no answer came. */
  readonly status: number;
  /** The server's machine-readable code: `run_not_found`, `validation_failed`, `unauthorized`, … */
  readonly code: string;
  /** The server's message. */
  readonly message: string;
  readonly details: ErrorDetail[];
  /** Seconds the server asked to wait (429, 503), or null. */
  readonly retryAfter: number | null;
  /** No answer, 408, 429 or a 5xx: trying again later may succeed. */
  readonly transient: boolean;
  /** Reads a refusal's body (`{"error": {code, message, details}}`). */
  static fromAnswer(status: number, text: string, retryAfterHeader?: string | null): HeraldError;
}

// MARK: - SSE

export interface SSEMessage {
  /** The `event:` name, "message" when absent. */
  event: string;
  data: string;
  /** The last `id:` seen, or null. */
  id: string | null;
}

/** An incremental parser of Server-Sent Events (WHATWG rules). */
export declare class SSEParser {
  lastEventId: string | null;
  /** The last `retry:` hint in milliseconds. */
  retry: number | null;
  /** Comment lines (heartbeats) seen. */
  comments: number;
  feed(text: string): SSEMessage[];
}

// MARK: - Client

export type Headers = Record<string, string>;

export interface ClientOptions {
  /** The server, e.g. "http://127.0.0.1:7373"; "" (the default) is the page's own origin. */
  baseUrl?: string;
  /** Headers for every request (a key: `{ Authorization: "Bearer hk_…" }`); a function is called for each request. */
  headers?: Headers | (() => Headers | Promise<Headers>);
  /** The project of the runs this client names: `?project=` on run routes, and the project of events that name none. */
  project?: string;
  /** The fetch to use (default: the global one). */
  fetch?: typeof fetch;
  /** How long a query or a publish attempt waits for its answer, in ms (30,000). */
  timeoutMs?: number;
  /** Called on every 401 answer, from queries, publishing and streams (a page asks for a key), but a refused stream ticket's (a subscription replaces it). */
  onUnauthorized?: (error: HeraldError) => void;
}

export interface Filters {
  /** Types, with `agent.*` wildcards. */
  types?: string[] | string;
  agents?: string[] | string;
  /** The finest level (verbosity): that level and everything coarser, `system` always. */
  level?: Level;
  turnFrom?: number;
  turnTo?: number;
  /** RFC 3339 times. */
  since?: string;
  until?: string;
}

export interface RequestOptions {
  signal?: AbortSignal;
}

export interface RunOptions extends RequestOptions {
  /** The run's project (default: the client's). */
  project?: string;
}

export interface EventsOptions extends Filters, RunOptions {
  /** Seqs: the page starts after `after` or ends before `before`. */
  after?: number;
  before?: number;
  limit?: number;
}

export interface PublishOptions extends RequestOptions {
  /** Store the valid events and name the others in `rejected` (default: all or nothing). */
  partial?: boolean;
  /** How long temporary failures (no answer, 5xx, 429) are retried, with the same ids (10,000 ms). */
  retryForMs?: number;
}

export type SubscribeOptions = Filters & {
  /** Follow one run … */
  run?: string;
  /** … or a whole project (default: the client's); with `run`, the run's project. */
  project?: string;
  /** Resume after this id (a run's seq, a project's position); 0 reads from the start. */
  after?: number | string | null;
  /** "now": only what comes next (when `after` is not given). */
  from?: "now";
  /** Project streams: the runs whose `agent.log` lines to include ("all" for every run). */
  logs?: string[] | "all";
  /** Run streams: wait for a run that has no event yet instead of 404. */
  wait?: boolean;
  /** The server's heartbeat interval (15,000 ms); a stream silent for three of them is dropped and resumed. */
  heartbeatMs?: number;
  /** Drop a stream after this long without a byte (default: 3 × heartbeatMs). */
  readTimeoutMs?: number;
  /** Polling period while a run's stream cannot be held open (3,000 ms; 0: never poll). */
  pollEveryMs?: number;
  /** While polling, try the stream again this often (15,000 ms). */
  probeEveryMs?: number;
  /** Reconnection backoff: retryBaseMs doubling to maxBackoffMs, with jitter (1,000 → 30,000 ms). */
  retryBaseMs?: number;
  maxBackoffMs?: number;
  /**
   * Open every connection with a fresh stream ticket instead of the Authorization header: called
   * before each (re)connection, it answers the ticket's text (from your app's server, or
   * `client.streamTicket(…)` where the page holds a key). `refused` is the stream's refusal of the
   * last ticket (expired, say), if it was refused. With a ticket nothing is polled.
   */
  ticket?: (request: TicketRequest) => string | Promise<string>;
};

/** What the `ticket` option is asked for. */
export interface TicketRequest {
  run: string | undefined;
  project: string | undefined;
  /** The stream's refusal of the previous ticket (401 `invalid_ticket`), or null. */
  refused: HeraldError | null;
}

export interface StreamTicketOptions extends RequestOptions {
  /** A run's stream … */
  run?: string;
  /** … or a project's (default: the client's); with `run`, the run's project. */
  project?: string;
  /** Filters to bind: the stream must then be asked with exactly these. */
  types?: string[] | string;
  agents?: string[] | string;
  level?: Level;
  /** Project streams: whose `agent.log` lines to carry. */
  logs?: string[] | "all";
}

/** A stream ticket: short-lived, read-only, for one stream. */
export interface StreamTicket {
  /** `?ticket=` on the stream. */
  ticket: string;
  /** After this it opens nothing (a stream it opened goes on). */
  expiresAt: string;
  /** The stream's path and query, ticket included, relative to the server. */
  streamURL: string;
  project: string;
  run?: string;
}

export type Status = "connecting" | "live" | "reconnecting" | "polling" | "ended";

export interface SubscribeHandlers {
  /** Each event, in order, once; `id` is its stream id (a run's seq, a project's position). A promise returned delays reading on. */
  onEvent?(event: HeraldEvent, id: string | null): void | Promise<void>;
  onGap?(gap: Gap): void | Promise<void>;
  onConnected?(connected: Connected): void | Promise<void>;
  onStatus?(status: Status): void;
  /** `final`: the subscription ended with it (a 4xx but 408 and 429: 401, 403, 404 without `wait`, 400 for a filter the server refuses); otherwise it retries in `retryInMs`. */
  onError?(error: HeraldError, info: { final: boolean; retryInMs?: number }): void;
}

/** Stops the subscription; also tells where it stands. */
export interface Stop {
  (): void;
  readonly status: Status | null;
  /** The resume point: the id of the last event handed over. */
  readonly lastEventId: string | null;
  readonly connected: Connected | null;
}

export type StreamItem =
  | { kind: "event"; event: HeraldEvent; id: string | null }
  | { kind: "gap"; gap: Gap }
  | { kind: "connected"; connected: Connected };

export type StreamURLOptions = Filters & {
  run?: string;
  project?: string;
  after?: number | string;
  from?: "now";
  /** "message": frames without an `event:` line, for `EventSource.onmessage`. */
  frames?: "message";
  /** A read key in the URL (streams only): a plain EventSource cannot send headers. Refused by a server started with `--no-query-keys`. */
  accessToken?: string;
  /** A stream ticket (`streamTicket()`): short-lived, for this one stream. */
  ticket?: string;
  logs?: string[] | "all";
  wait?: boolean;
  format?: "ag-ui";
};

export interface Client {
  readonly baseUrl: string;
  readonly project: string | undefined;
  readonly timeoutMs: number;

  /** One page of runs, newest first. `status: "active"` lists the running ones. */
  runs(options?: RequestOptions & { project?: string; status?: string; limit?: number; cursor?: string }): Promise<RunsPage>;
  run(run: string, options?: RunOptions): Promise<Run>;
  events(run: string, options?: EventsOptions): Promise<EventsPage>;
  event(run: string, id: string, options?: RunOptions): Promise<HeraldEvent>;
  causality(run: string, id: string, options?: RunOptions & { maxDepth?: number }): Promise<Causality>;
  access(options?: RequestOptions): Promise<Access>;
  projects(options?: RequestOptions): Promise<Projects>;
  /** A stream ticket (`POST /v1/stream-tickets`), for an EventSource or a keyless page; needs a credential in this client's headers. */
  streamTicket(options: StreamTicketOptions): Promise<StreamTicket>;
  /** GET any API path. */
  get<T = unknown>(path: string, query?: Record<string, unknown>, options?: RequestOptions): Promise<T>;

  /** Posts events (ids made before the first try); rejects with a HeraldError on a refusal. */
  publish(events: EventInput[], options?: PublishOptions): Promise<IngestAnswer>;
  emitter(options?: EmitterOptions): Emitter;

  /** Follows a run or a project live; answers the function that stops it. */
  subscribe(options: SubscribeOptions, handlers?: SubscribeHandlers): Stop;
  /** The same as an async iterator; ends after a run's end, on 204, or when `signal` aborts; throws a final error. */
  stream(options: SubscribeOptions, init?: { signal?: AbortSignal }): AsyncGenerator<StreamItem, void, undefined>;
  /** A stream URL for a plain EventSource. */
  streamURL(options: StreamURLOptions): string;

  /** The full URL of an API path. */
  url(path: string, query?: Record<string, unknown>): string;
  /** The headers every request carries (the `headers` option's). */
  headers(): Promise<Headers>;
  /** fetch with the client's headers (`authorization: false` leaves its Authorization out); no answer rejects with a HeraldError (status 0). */
  fetch(url: string, init?: RequestInit & { headers?: Headers; authorization?: boolean }): Promise<Response>;
}

export declare function createClient(options?: ClientOptions): Client;

// MARK: - Emitter

export interface EmitterOptions {
  /** Defaults for events that name none. */
  run?: string;
  agent?: string;
  project?: string;
  /** The finest level emitted; finer events are counted `filtered` at the call (default "detail"). */
  verbosity?: Exclude<Level, "system">;
  /** Events per request (500). */
  maxBatchSize?: number;
  /** How long to wait for a fuller batch (5 ms). */
  lingerMs?: number;
  /** Events held at most, queued and in flight (10,000); past it `emit` drops (counted). */
  bufferCapacity?: number;
  /** How long `close()` keeps delivering before it gives up (5,000 ms). */
  shutdownTimeoutMs?: number;
  /** Retry backoff: 100 ms doubling to this, with jitter (5,000 ms). */
  maxBackoffMs?: number;
  /**
   * Refusals, give-ups and events that could not be encoded (`final`), and the first failure of
   * a delivery that will be retried. Default: console.error / console.warn.
   */
  onError?: (error: Error, info: { final: boolean; ids: string[] }) => void;
}

export interface EmitOptions {
  run?: string;
  agent?: string;
  project?: string;
  level?: Level;
  /** Ids earlier `emit` calls answered; null entries (filtered causes) are left out. */
  causedBy?: (string | null)[];
  turn?: number;
  /** Your own id (a ULID); made at the call otherwise. */
  id?: string;
}

export interface EmitterStats {
  /** Accepted into the buffer; each ends delivered or failed, or is still pending. */
  emitted: number;
  delivered: number;
  /** Buffer full, or after close: never entered the buffer. */
  dropped: number;
  /** Refused by the server, not encodable, or given up at close. */
  failed: number;
  /** Below the verbosity. */
  filtered: number;
  pending: number;
}

export interface Emitter {
  run: string | undefined;
  agent: string | undefined;
  project: string | undefined;
  /** Queues an event; answers its id, or null (filtered, dropped, not encodable). Never blocks, never throws. */
  emit<T extends BuiltInType>(type: T, data?: EventDataMap[T], options?: EmitOptions): string | null;
  emit(type: string, data?: Record<string, unknown>, options?: EmitOptions): string | null;
  readonly stats: EmitterStats;
  /** Resolves true once everything emitted before is settled (false when `timeoutMs` passes first). */
  flush(options?: { timeoutMs?: number }): Promise<boolean>;
  /** Stops accepting, delivers for up to `shutdownTimeoutMs`, gives up on the rest; resolves to the final stats. */
  close(): Promise<EmitterStats>;
}
