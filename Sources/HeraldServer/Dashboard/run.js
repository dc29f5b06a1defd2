// A run's view: header and end banner, status cards per agent and step, task cards, the
// timeline (waterfall), the conversation, the live log panel, and the list of events with its
// detail drawer. This file reads the run and feeds each part; the parts are modules of their own.
import { herald, el, duration, clock, typeMatches, levelVisible, copyText, LEVELS } from "./util.js";
import { createCards } from "./cards.js";
import { createTasks } from "./tasks.js";
import { createTimeline } from "./timeline.js";
import { createConversation } from "./conversation.js";

// Bounded memory on very long runs: the page holds the newest lines and events; older ones
// stay in the query API ("Load earlier" reads them back, page by page).
const MAX_LOG_LINES = Number(sessionStorage.getItem("heraldLogCap")) || 5000;
const MAX_EVENTS = 20000;       // events kept for the list of events
const MAX_LIST_ROWS = 500;      // the newest matching events are listed
const MAX_TALK = 5000;          // the conversation's newest events read when the page opens
const PAGE = 1000;
const READERS = 4;              // the full read goes in this many seq ranges at once
// The events that drive the header, the cards and the timeline: read in full, however long the run.
const STRUCTURE_TYPES = "run.*,step.*,task.*,agent.started,agent.completed,agent.failed,decision,system.*,"
  + "tool.call_started,tool.call_completed,tool.call_result,message.started,message.completed";
const TALK_TYPES = "message.*,reasoning.*,tool.*,thought,reflection";
const TERMINAL = ["run.completed", "run.failed", "run.cancelled"];

// `project`: the run's project (runs are named within their project); undefined lets the server
// find the one run of that name the key can read.
export function showRun(main, { run, project, setMode }) {
  const state = {
    events: [], lastSeq: 0, eventCount: 0, status: "queued", startedAt: null, finishedAt: null,
    logCount: 0, firstLogSeq: null, agents: new Set(), follow: true,
  };

  // ---- layout ----
  const title = el("h1", { id: "run-title" }, run);
  const statusPill = el("span", { class: "pill queued", id: "run-status" }, "loading");
  const facts = el("span", { class: "muted", id: "run-facts" });
  const outcome = el("div", { id: "outcome" });
  const cardList = el("div", { class: "cards", id: "cards", "aria-live": "polite" });
  const taskList = el("div", { class: "cards", id: "tasks", "aria-live": "polite" });
  const tasksEmpty = el("p", { class: "muted", id: "tasks-empty" }, "No task events.");
  const talkList = el("ol", { id: "conversation", class: "conversation", "aria-label": "Conversation" });
  const talkEmpty = el("p", { id: "conversation-empty", class: "muted" }, "No messages, tool calls, thoughts or reflections.");
  const talkNotice = el("p", { id: "conversation-notice", class: "muted", hidden: true });

  const logAgent = el("select", { id: "log-agent", "aria-label": "Agent whose log lines to show" }, el("option", { value: "" }, "All agents"));
  const followButton = el("button", { id: "log-follow", type: "button", "aria-pressed": "true" }, "Auto-scroll on");
  const copyButton = el("button", { id: "log-copy", type: "button" }, "Copy all");
  const copyStatus = el("span", { id: "log-copy-status", class: "muted", role: "status" });
  const logEarlier = el("button", { id: "log-earlier", type: "button", hidden: true }, "Load earlier lines");
  const logNotice = el("p", { id: "log-notice", class: "muted", hidden: true }, logEarlier);
  const logBox = el("ol", { id: "log", class: "log", tabindex: "0", "aria-label": "Log lines" });
  const logEmpty = el("p", { id: "log-empty", class: "muted" }, "Loading…");

  const typeFilter = el("input", { id: "filter-types", type: "search", placeholder: "types, e.g. step.*, decision", "aria-label": "Types" });
  const agentFilter = el("select", { id: "filter-agent", "aria-label": "Agent" }, el("option", { value: "" }, "All agents"));
  const levelFilter = el("select", { id: "filter-level", "aria-label": "Verbosity" },
    el("option", { value: "" }, "All levels"), LEVELS.map((l) => el("option", { value: l }, `${l} and coarser`)));
  const turnFrom = el("input", { id: "filter-turn-from", type: "number", min: "0", placeholder: "turn from", "aria-label": "Turn from" });
  const turnTo = el("input", { id: "filter-turn-to", type: "number", min: "0", placeholder: "turn to", "aria-label": "Turn to" });
  const eventList = el("ol", { id: "events", class: "events", "aria-label": "Events" });
  const eventCount = el("span", { id: "events-count", class: "muted" });
  const drawer = el("aside", { id: "drawer", class: "drawer", hidden: true, "aria-label": "Event detail", tabindex: "-1" });

  const cards = createCards(cardList);
  const tasks = createTasks(taskList, tasksEmpty);
  const timeline = createTimeline({ onOpen: (span) => openDrawer(span.events[0].id, span) });
  const conversation = createConversation(talkList, { empty: talkEmpty, onReveal: (key) => timeline.reveal(key) });

  main.replaceChildren(
    el("section", { class: "run-head" }, el("div", {}, title, " ", statusPill), facts, outcome),
    el("div", { class: "columns even" },
      el("section", { "aria-labelledby": "cards-title" }, el("h2", { id: "cards-title" }, "Agents and steps"), cardList),
      el("section", { "aria-labelledby": "tasks-title" }, el("h2", { id: "tasks-title" }, "Tasks"), tasksEmpty, taskList)),
    el("section", { class: "panel timeline-panel", "aria-labelledby": "waterfall-title" }, timeline.node),
    el("div", { class: "columns" },
      el("section", { class: "panel", "aria-labelledby": "conversation-title" },
        el("div", { class: "panel-head" }, el("h2", { id: "conversation-title" }, "Conversation")), talkNotice, talkEmpty, talkList),
      el("section", { class: "panel", "aria-labelledby": "log-title" },
        el("div", { class: "panel-head" }, el("h2", { id: "log-title" }, "Log"), logAgent, followButton, copyButton, copyStatus),
        logNotice, logEmpty, logBox)),
    el("section", { class: "panel", "aria-labelledby": "events-title" },
      el("div", { class: "panel-head" }, el("h2", { id: "events-title" }, "Events"), eventCount),
      el("div", { class: "filters" }, typeFilter, agentFilter, levelFilter, turnFrom, turnTo),
      eventList),
    drawer);

  // ---- header ----
  function renderHead() {
    statusPill.textContent = state.status;
    statusPill.className = `pill ${state.status}`;
    const end = state.finishedAt ?? (state.eventCount ? Date.now() : null);
    const took = state.startedAt && end ? duration(end - state.startedAt) : "—";
    facts.textContent = ` ${state.eventCount} events · ${state.agents.size} agents · ${took}`;
  }

  /** The end banner; a run that completed while tasks or steps failed says so. */
  function renderOutcome(event) {
    const took = state.startedAt ? duration(state.finishedAt - state.startedAt) : "";
    const failures = [...tasks.failed().map((t) => ["task", t]), ...cards.failedSteps().map((s) => ["step", s])];
    const failed = failures.length
      ? el("ul", { class: "failures" }, failures.map(([kind, f]) => el("li", {}, `${kind} ${f.id}`, f.why ? `: ${f.why}` : "")))
      : null;
    const counts = ["task", "step"].map((kind) => [kind, failures.filter(([k]) => k === kind).length]).filter(([, n]) => n > 0)
      .map(([kind, n]) => `${n} ${kind}${n > 1 ? "s" : ""}`).join(" and ");
    if (event.type === "run.completed" && failures.length) {
      outcome.replaceChildren(el("div", { class: "notice warning", role: "alert", id: "run-warning" },
        `Run completed in ${took}, but ${counts} failed.`, event.data.summary ? ` ${event.data.summary}` : "", failed));
    } else if (event.type === "run.completed") {
      outcome.replaceChildren(el("div", { class: "notice success", role: "status", id: "run-success" },
        `Run completed in ${took}.`, event.data.summary ? ` ${event.data.summary}` : ""));
    } else if (event.type === "run.failed") {
      outcome.replaceChildren(el("div", { class: "notice failure", role: "alert", id: "run-error" },
        `Run failed: ${event.data.error ?? "no reason given"}`, event.data.code ? ` (${event.data.code})` : "", failed));
    } else {
      outcome.replaceChildren(el("div", { class: "notice failure", role: "alert", id: "run-error" },
        `Run cancelled${event.data.reason ? `: ${event.data.reason}` : ""}.`, failed));
    }
  }

  // ---- log panel (R-logs, R-ui) ----
  function logItem(event, number) {
    const text = String(event.data.line ?? "");
    const match = text.match(/\[\d{2}:\d{2}:\d{2}\]/);
    const content = match
      ? [text.slice(0, match.index), el("span", { class: "time" }, match[0]), text.slice(match.index + match[0].length)]
      : [text];
    return el("li", { "data-agent": event.agent ?? "", "data-seq": event.seq, hidden: Boolean(logAgent.value) && logAgent.value !== event.agent },
      el("span", { class: "ln", "aria-hidden": "true" }, event.data.lineNumber ?? number), el("span", { class: "agent" }, event.agent ?? ""),
      el("span", { class: "text" }, ...content));
  }

  function logLine(event) {
    state.logCount += 1;
    logBox.append(logItem(event, state.logCount));
    state.firstLogSeq ??= event.seq;
    if (logBox.childElementCount > MAX_LOG_LINES) {
      while (logBox.childElementCount > MAX_LOG_LINES) logBox.firstElementChild.remove();
      state.firstLogSeq = Number(logBox.firstElementChild.dataset.seq);
      logEarlier.hidden = logNotice.hidden = false;
    }
    logEmpty.hidden = true;
  }

  /** Reads the lines before the first one shown back from the query API, a page at a time. */
  async function loadEarlier() {
    logEarlier.disabled = true;
    try {
      const page = await herald.events(run, { project, types: "agent.log", before: state.firstLogSeq, limit: PAGE });
      const before = logBox.scrollHeight;
      const first = logBox.firstElementChild;
      const numberOfFirst = Number(first?.querySelector(".ln").textContent) || page.events.length + 1;
      page.events.forEach((event, index) => logBox.insertBefore(logItem(event, numberOfFirst - page.events.length + index), first));
      if (page.events.length) state.firstLogSeq = page.events[0].seq;
      logBox.scrollTop += logBox.scrollHeight - before;  // keep the reader's place
      logEarlier.hidden = !page.hasMore;
      logNotice.hidden = !page.hasMore;
    } catch (error) {
      logEarlier.textContent = `Could not load earlier lines: ${error.message} (retry)`;
    } finally {
      logEarlier.disabled = false;
    }
  }
  logEarlier.addEventListener("click", loadEarlier);

  function followIfWanted() {
    if (state.follow) logBox.scrollTop = logBox.scrollHeight;
  }

  function setFollow(follow) {
    state.follow = follow;
    followButton.setAttribute("aria-pressed", String(follow));
    followButton.textContent = follow ? "Auto-scroll on" : "Resume auto-scroll";
    followButton.classList.toggle("paused", !follow);
    followIfWanted();
  }

  logBox.addEventListener("scroll", () => {
    const atBottom = logBox.scrollTop + logBox.clientHeight >= logBox.scrollHeight - 4;
    if (!atBottom && state.follow) setFollow(false);  // the reader scrolled up: stop following
  });
  followButton.addEventListener("click", () => setFollow(!state.follow));
  logAgent.addEventListener("change", () => {
    for (const item of logBox.children) item.hidden = Boolean(logAgent.value) && item.dataset.agent !== logAgent.value;
    followIfWanted();
  });
  copyButton.addEventListener("click", async () => {
    const lines = [...logBox.children].filter((item) => !item.hidden).map((item) => item.querySelector(".text").textContent);
    await copyText(lines.join("\n"));
    copyStatus.textContent = `Copied ${lines.length} lines`;
    setTimeout(() => { copyStatus.textContent = ""; }, 3000);
  });

  // ---- list of events and drawer ----
  function filtered() {
    const patterns = typeFilter.value.split(",").map((s) => s.trim()).filter(Boolean);
    const from = turnFrom.value === "" ? null : Number(turnFrom.value);
    const to = turnTo.value === "" ? null : Number(turnTo.value);
    return state.events.filter((e) => typeMatches(e.type, patterns)
      && (!agentFilter.value || e.agent === agentFilter.value)
      && levelVisible(e.level, levelFilter.value)
      && (from === null || (e.turn !== undefined && e.turn >= from))
      && (to === null || (e.turn !== undefined && e.turn <= to)));
  }

  function row(event) {
    return el("li", {}, el("button", { type: "button", class: `event level-${event.level}`, "data-seq": event.seq, "data-type": event.type,
      onclick: () => openDrawer(event.id) },
      el("span", { class: "num" }, `#${event.seq}`), el("span", { class: "muted" }, clock(event.time)),
      el("span", { class: "type" }, event.type), el("span", { class: "muted" }, event.agent ?? "")));
  }

  function renderList() {
    const matching = filtered();
    const shown = matching.slice(-MAX_LIST_ROWS);
    // Rebuilding the rows must not take the keyboard focus away from the one the reader is on.
    const focused = eventList.contains(document.activeElement) ? document.activeElement.dataset.seq : null;
    eventList.replaceChildren(...shown.map(row));
    if (focused) eventList.querySelector(`[data-seq="${focused}"]`)?.focus();
    const held = state.events.length < state.eventCount ? ` (newest ${state.events.length.toLocaleString()} of ${state.eventCount.toLocaleString()})` : "";
    eventCount.textContent = (matching.length === state.events.length ? `${matching.length}` : `${matching.length} of ${state.events.length}`) + held;
  }

  for (const input of [typeFilter, agentFilter, levelFilter, turnFrom, turnTo]) input.addEventListener("input", renderList);

  let drawerRequest = 0;
  let opener = null;
  /** The drawer: an event's data and causality; opened from a timeline bar, the bar's events first. */
  async function openDrawer(id, span = null) {
    const request = ++drawerRequest;
    if (drawer.hidden) opener = document.activeElement;
    drawer.hidden = false;
    drawer.replaceChildren(el("p", { class: "muted" }, "Loading…"));
    drawer.focus();
    try {
      const chain = await herald.causality(run, id, { project });
      if (request !== drawerRequest) return;  // another event was asked for meanwhile
      const link = (event) => el("li", {}, el("button", { type: "button", class: "chain-link", "data-id": event.id, onclick: () => openDrawer(event.id, span) },
        `#${event.seq} ${event.type}`, event.agent ? ` (${event.agent})` : ""));
      const e = chain.event;
      drawer.replaceChildren(...[
        el("div", { class: "drawer-head" }, el("h2", { id: "drawer-title" }, `#${e.seq} ${e.type}`),
          el("button", { type: "button", id: "drawer-close", onclick: closeDrawer, "aria-label": "Close" }, "×")),
        span ? spanSummary(span, link) : null,
        el("p", { class: "muted" }, `${new Date(e.time).toLocaleString([], { hour12: false })} · ${e.level}${e.agent ? ` · ${e.agent}` : ""}${e.turn !== undefined ? ` · turn ${e.turn}` : ""}`),
        el("pre", { class: "data", id: "drawer-data" }, JSON.stringify(e.data, null, 2)),
        el("h3", {}, "Caused by"), chain.upstream.length ? el("ol", { id: "upstream" }, chain.upstream.map(link)) : el("p", { class: "muted" }, "Nothing recorded."),
        el("h3", {}, "Led to"), chain.downstream.length ? el("ol", { id: "downstream" }, chain.downstream.map(link)) : el("p", { class: "muted" }, "Nothing recorded."),
        chain.dangling.length ? el("p", { class: "muted" }, `Unknown causes: ${chain.dangling.join(", ")}`) : null,
      ].filter(Boolean));
    } catch (error) {
      if (request !== drawerRequest) return;
      drawer.replaceChildren(el("p", { class: "error" }, `Could not load the event: ${error.message}`),
        el("button", { type: "button", id: "drawer-close", onclick: closeDrawer }, "Close"));
    }
  }

  /** A timeline bar in the drawer: what it is, when, and its events (each opens). */
  function spanSummary(span, link) {
    const took = span.end === null ? `running for ${duration(Date.now() - span.start)}` : duration(span.end - span.start);
    return el("div", { id: "drawer-span", "data-key": span.key },
      el("p", {}, el("strong", {}, `${span.kind} ${span.label}`), ` · ${span.agent} · ${clock(span.start)} · ${took} · ${span.state}`),
      el("h3", {}, "Its events"), el("ol", { id: "span-events" }, span.events.map(link)));
  }

  function closeDrawer() {
    drawer.hidden = true;
    drawerRequest += 1;
    // The timeline redraws while live: give the focus back to the bar that now stands for the opener.
    const key = opener?.dataset?.key;
    const target = opener?.isConnected || !key ? opener : document.querySelector(`[data-key="${CSS.escape(key)}"]`);
    target?.focus();
  }
  const onKey = (event) => { if (event.key === "Escape" && !drawer.hidden) closeDrawer(); };
  document.addEventListener("keydown", onKey);

  // ---- events ----
  function addAgent(agent) {
    if (!agent || state.agents.has(agent)) return;
    state.agents.add(agent);
    for (const select of [logAgent, agentFilter]) select.append(el("option", { value: agent }, agent));
  }

  /** Takes an event into the parts named (all of them for a live event): the header, cards and
   * timeline (`structure`), the log, the list of events, the conversation (`talk`). */
  function apply(event, { structure = true, log = true, list = true, talk = true, render = true } = {}) {
    addAgent(event.agent);
    if (list) {
      state.events.push(event);
      if (state.events.length > MAX_EVENTS) state.events.splice(0, state.events.length - MAX_EVENTS);
    }
    if (log && event.type === "agent.log") logLine(event);
    if (talk) conversation.add(event);
    if (structure) {
      state.startedAt ??= Date.parse(event.time);
      cards.add(event);
      tasks.add(event);
      timeline.add(event);
      state.structureChanged = true;
      if (event.type.startsWith("run.")) {
        state.status = { "run.queued": "queued", "run.started": "running", "run.completed": "completed", "run.failed": "failed", "run.cancelled": "cancelled" }[event.type] ?? state.status;
      } else if (state.status === "queued") {
        state.status = "running";
      }
      if (TERMINAL.includes(event.type)) {
        state.finishedAt = Date.parse(event.time);
        renderOutcome(event);
      }
    }
    if (render) refresh();
  }

  /** A live event: once, in order (a resume or a poll may repeat what we have). */
  function applyLive(event) {
    if (event.seq <= state.lastSeq) return;
    state.lastSeq = event.seq;
    state.eventCount += 1;
    apply(event);
  }

  /** Every event of a query up to `upTo` (excluded), forward; a long run is read in a few seq
   * ranges at once. */
  async function readAll(filter, upTo) {
    const width = Math.ceil(upTo / READERS);
    const ranges = Array.from({ length: READERS }, (_, i) => [i * width, Math.min(upTo, (i + 1) * width + 1)])
      .filter(([after, before]) => after + 1 < before);
    const parts = await Promise.all(ranges.map(async ([after, before]) => {
      const events = [];
      for (;;) {
        const page = await herald.events(run, { ...filter, project, after, before, limit: PAGE });
        events.push(...page.events);
        if (!page.hasMore || page.events.length === 0) return events;
        after = page.events[page.events.length - 1].seq;
      }
    }));
    return parts.flat();
  }

  /** The newest `count` events of a query before `upTo`, read backward a page at a time. */
  async function readNewest(filter, upTo, count) {
    const pages = [];
    let before = upTo, hasMore = true, read = 0;
    while (hasMore && read < count) {
      const page = await herald.events(run, { ...filter, project, before, limit: Math.min(PAGE, count - read) });
      if (page.events.length === 0) break;
      pages.unshift(page.events);
      read += page.events.length;
      before = page.events[0].seq;
      hasMore = page.hasMore;
    }
    return { events: pages.flat(), hasMore };
  }

  /** Redraws at most once per frame, however many events arrive. */
  let frame = null;
  function refresh() {
    if (frame === null) frame = requestAnimationFrame(() => { frame = null; redraw(); });
  }

  function redraw() {
    renderHead();
    renderList();
    conversation.draw();
    if (state.structureChanged) {
      state.structureChanged = false;
      timeline.render();
    }
    followIfWanted();
    if (state.logCount === 0) logEmpty.textContent = "No log lines yet.";
    window.herald.lastSeq = state.lastSeq;
  }

  let stop = null;
  let left = false;  // set when the reader navigates away: nothing may start after that
  const ticker = setInterval(() => { if (!state.finishedAt) renderHead(); }, 1000);
  (async () => {
    try {
      let summary = null;
      try {
        summary = await herald.run(run, { project });
      } catch (error) {
        if (error.status !== 404) throw error;
        logEmpty.textContent = "Waiting for the run's first event…";  // the stream waits for it (wait=1)
      }
      if (left) return;
      if (summary) {
        // What the header, cards and timeline need, in full; the newest of the rest for the panels.
        const upTo = summary.lastSeq + 1;
        const [structure, talkEvents, lines, recent] = await Promise.all([
          readAll({ types: STRUCTURE_TYPES }, upTo),
          readNewest({ types: TALK_TYPES }, upTo, MAX_TALK),
          herald.events(run, { project, types: "agent.log", before: upTo, limit: Math.min(MAX_LOG_LINES, PAGE) }),
          herald.events(run, { project, before: upTo, limit: PAGE }),
        ]);
        if (left) return;
        state.lastSeq = summary.lastSeq;
        state.eventCount = summary.eventCount;
        state.startedAt = Date.parse(summary.startedAt);
        summary.agents.forEach(addAgent);
        const only = (parts) => ({ structure: false, log: false, list: false, talk: false, render: false, ...parts });
        for (const event of structure) apply(event, only({ structure: true }));
        for (const event of talkEvents.events) apply(event, only({ talk: true }));
        for (const event of lines.events) apply(event, only({ log: true }));
        for (const event of recent.events) apply(event, only({ list: true }));
        logEarlier.hidden = logNotice.hidden = !lines.hasMore;
        talkNotice.hidden = !talkEvents.hasMore;
        talkNotice.textContent = `The newest ${MAX_TALK.toLocaleString()} conversation events are shown; earlier ones are in the events below and the API.`;
        refresh();
        requestAnimationFrame(() => { window.herald.loadedAt = performance.now(); });  // after the first full draw
      }
    } catch (error) {
      if (left) return;
      logEmpty.textContent = `Could not load the run: ${error.message}`;
      logEmpty.className = "error";
      statusPill.textContent = "unknown";
      setMode("ended");
      return;
    }
    if (state.finishedAt) { setMode("ended"); return; }
    // From the summary's last seq on, resumed after any disconnect, polling where a stream
    // cannot be held open; the stream waits for a run that has no event yet.
    stop = herald.subscribe({ run, project, after: state.lastSeq, wait: true }, { onEvent: applyLive, onStatus: setMode });
  })();

  return () => {
    left = true;
    stop?.();
    clearInterval(ticker);
    timeline.stop();
    document.removeEventListener("keydown", onKey);
  };
}
