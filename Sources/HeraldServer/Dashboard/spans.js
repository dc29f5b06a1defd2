// What the timeline draws, from a run's events: bars (tasks, step attempts, tool calls, messages
// from their start to their end), markers (decisions, errors, retries) and each agent's busy
// bands, by lane. No drawing here: timeline.js draws what this holds.
import { phase } from "./tasks.js";

const MAX_SPANS = 50000;  // bounded memory: the oldest bars and markers leave first
const MAX_SPAN_EVENTS = 50;
const RUN_LANE = "(run)";  // events that name no agent

/** Sorted by start (a marker's time), so a lane's visible items come out in order without
 * sorting each frame; events come nearly in time order, so this is a push in practice. */
function insertByStart(list, item) {
  const at = (entry) => entry.start ?? entry.time;
  let i = list.length;
  while (i > 0 && at(list[i - 1]) > at(item)) i -= 1;
  list.splice(i, 0, item);
}

/**
 * The bars and markers of one run. A bar (`span`) is `{kind, key, label, agent, start, end,
 * state, events: [{id, seq, type}]}` with `end` null while it runs; `lanes` maps an agent to
 * `{name, tracks: Map(kind → bars sorted by start), markers, bands}`.
 */
export function createSpans() {
  let spans = [];          // every bar, oldest first
  const open = new Map();  // key → the bar still running
  const markers = [];      // {kind: decision|error|retry, time, agent, label, event}
  const lanes = new Map();
  const failedSteps = new Set();
  let first = null, last = null, ended = null;  // ms

  function lane(agent) {
    const name = agent ?? RUN_LANE;
    let entry = lanes.get(name);
    if (!entry) {
      entry = { name, tracks: new Map(), markers: [], bands: [] };
      lanes.set(name, entry);
    }
    return entry;
  }

  function note(span, event) {
    if (span.events.length < MAX_SPAN_EVENTS) span.events.push({ id: event.id, seq: event.seq, type: event.type });
  }

  function begin(kind, key, label, event, time) {
    const span = { kind, key, label, agent: event.agent ?? RUN_LANE, start: time, end: null, state: "open", events: [] };
    note(span, event);
    spans.push(span);
    open.set(key, span);
    const tracks = lane(event.agent).tracks;
    if (!tracks.has(kind)) tracks.set(kind, []);
    insertByStart(tracks.get(kind), span);
    if (spans.length > MAX_SPANS) forget(Math.floor(MAX_SPANS / 10));
    return span;
  }

  function finish(key, event, time, state) {
    const span = open.get(key);
    if (!span) return;
    note(span, event);
    span.end = Math.max(time, span.start);
    span.state = state;
    open.delete(key);
  }

  function mark(kind, event, time, label) {
    const marker = { kind, time, agent: event.agent ?? RUN_LANE, label, event: { id: event.id, seq: event.seq, type: event.type } };
    markers.push(marker);
    insertByStart(lane(event.agent).markers, marker);
    if (markers.length > MAX_SPANS) forget(Math.floor(MAX_SPANS / 10));
  }

  /** Drops the oldest closed bars and markers (memory stays bounded on endless runs). */
  function forget(count) {
    const gone = new Set(spans.filter((s) => s.end !== null).slice(0, count));
    const oldMarkers = new Set(markers.splice(0, Math.min(count, markers.length)));
    spans = spans.filter((s) => !gone.has(s));
    for (const entry of lanes.values()) {
      for (const [kind, list] of entry.tracks) entry.tracks.set(kind, list.filter((s) => !gone.has(s)));
      entry.markers = entry.markers.filter((m) => !oldMarkers.has(m));
    }
  }

  /** Takes one event, in seq order. */
  function add(event) {
    const d = event.data ?? {};
    const time = Date.parse(event.time);
    first = first === null ? time : Math.min(first, time);
    last = last === null ? time : Math.max(last, time);
    switch (event.type) {
      case "step.started": {
        const key = `step:${d.stepId}`;
        finish(key, event, time, "unfinished");
        begin("step", key, d.label ?? d.stepId, event, time);
        if (failedSteps.has(d.stepId)) mark("retry", event, time, `retry of ${d.stepId}`);
        break;
      }
      case "step.completed": finish(`step:${d.stepId}`, event, time, "ok"); break;
      case "step.failed":
        finish(`step:${d.stepId}`, event, time, "failed");
        failedSteps.add(d.stepId);
        mark("error", event, time, `${d.stepId}: ${d.code}: ${d.message}`);
        break;
      case "task.started":
      case "task.status_changed":
      case "task.completed":
      case "task.failed":
      case "task.subtask_status_changed":
      case "task.subtask_unblocked":
        addTask(event, d, time);
        break;
      case "tool.call_started": begin("tool", `tool:${d.toolCallId}`, d.toolCallName ?? d.toolCallId, event, time); break;
      case "step.progress":
      case "tool.call_completed": {  // the arguments are complete: the call runs until its result comes
        const span = open.get(event.type === "step.progress" ? `step:${d.stepId}` : `tool:${d.toolCallId}`);
        if (span) note(span, event);
        break;
      }
      case "tool.call_result": finish(`tool:${d.toolCallId}`, event, time, "ok"); break;
      case "message.started": begin("message", `message:${d.messageId}`, `${d.role ?? "assistant"} message`, event, time); break;
      case "message.completed": finish(`message:${d.messageId}`, event, time, "ok"); break;
      case "agent.started": lane(event.agent).bands.push({ start: time, end: null }); break;
      case "agent.completed":
      case "agent.failed": {
        const band = lane(event.agent).bands.at(-1);
        if (band && band.end === null) band.end = time;
        if (event.type === "agent.failed") mark(d.willRetry ? "retry" : "error", event, time, `${event.agent}: ${d.error}${d.willRetry ? " (will retry)" : ""}`);
        break;
      }
      case "decision": mark("decision", event, time, `${d.decisionType}: ${JSON.stringify(d.newValue)}`); break;
      case "run.completed": case "run.failed": case "run.cancelled": end(time); break;
      default:
        if (event.type.startsWith("system.")) {
          const retry = (d.retryCount ?? 0) > 0 || d.status === "retrying";
          mark(retry ? "retry" : "error", event, time, [d.errorType, d.message].filter(Boolean).join(": ") || event.type);
        }
    }
  }

  function addTask(event, d, time) {
    const key = `task:${d.taskId}`;
    const status = event.type === "task.status_changed" ? String(d.new) : "";
    const failed = event.type === "task.failed" || (status !== "" && phase(status).state === "failed");
    const closes = failed || event.type === "task.completed" || (status !== "" && phase(status).state === "done");
    // Subtask news and a closing status join the open bar; a task (re)starting opens one.
    const opens = !closes && (event.type === "task.started" || event.type === "task.status_changed");
    const span = open.get(key) ?? (opens ? begin("task", key, d.title ?? d.taskId, event, time) : null);
    if (span && d.title) span.label = d.title;
    if (status.toLowerCase() === "retrying") mark("retry", event, time, `retry of ${d.taskId}`);
    if (!closes) {
      if (span && span.events.at(-1)?.id !== event.id) note(span, event);
      return;
    }
    finish(key, event, time, failed ? "failed" : "ok");
    if (failed) mark("error", event, time, `${d.taskId}: ${d.error ?? d.new}`);
  }

  /** The run ended: bars still open end with it, marked unfinished. */
  function end(time) {
    ended = time;
    for (const key of [...open.keys()]) {
      const span = open.get(key);
      span.end = Math.max(time, span.start);
      span.state = "unfinished";
      open.delete(key);
    }
    for (const entry of lanes.values()) for (const band of entry.bands) band.end ??= time;
  }

  return {
    add, lanes,
    /** The bar of `key` (the newest, for a step retried). */
    find: (key) => spans.findLast((s) => s.key === key),
    get running() { return open.size; },
    get first() { return first; },
    get last() { return last; },
    get ended() { return ended; },
  };
}
