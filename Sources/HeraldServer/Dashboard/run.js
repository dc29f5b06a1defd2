// A run's view: header, status cards per agent and step, the live log panel, and the event
// timeline with its detail drawer.
import { herald, el, duration, clock, typeMatches, levelVisible, LEVELS } from "./util.js";

// Bounded memory on very long runs: the page holds the newest lines and events; older ones
// stay in the query API ("Load earlier" reads them back, page by page).
const MAX_LOG_LINES = Number(sessionStorage.getItem("heraldLogCap")) || 5000;
const MAX_EVENTS = 20000;       // events kept for the timeline
const MAX_TIMELINE_ROWS = 500;  // the newest matching events are listed
const PAGE = 1000;
// The events that drive the cards and the header: read in full, however long the run.
const STATUS_TYPES = "run.*,step.*,agent.started,agent.completed,agent.failed";
const TERMINAL = ["run.completed", "run.failed", "run.cancelled"];

// `project`: the run's project (runs are named within their project); undefined lets the server
// find the one run of that name the key can read.
export function showRun(main, { run, project, setMode }) {
  const state = {
    events: [], lastSeq: 0, eventCount: 0, cards: new Map(), status: "queued", startedAt: null, finishedAt: null,
    logCount: 0, firstLogSeq: null, agents: new Set(), follow: true,
  };

  // ---- layout ----
  const title = el("h1", { id: "run-title" }, run);
  const statusPill = el("span", { class: "pill queued", id: "run-status" }, "loading");
  const facts = el("span", { class: "muted", id: "run-facts" });
  const outcome = el("div", { id: "outcome" });
  const cards = el("div", { class: "cards", id: "cards", "aria-live": "polite" });

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
  const timeline = el("ol", { id: "timeline", class: "timeline", "aria-label": "Events" });
  const timelineCount = el("span", { id: "timeline-count", class: "muted" });
  const drawer = el("aside", { id: "drawer", class: "drawer", hidden: true, "aria-label": "Event detail", tabindex: "-1" });

  main.replaceChildren(
    el("section", { class: "run-head" }, el("div", {}, title, " ", statusPill), facts, outcome),
    el("section", { "aria-labelledby": "cards-title" }, el("h2", { id: "cards-title" }, "Agents and steps"), cards),
    el("div", { class: "columns" },
      el("section", { class: "panel", "aria-labelledby": "log-title" },
        el("div", { class: "panel-head" }, el("h2", { id: "log-title" }, "Log"), logAgent, followButton, copyButton, copyStatus),
        logNotice, logEmpty, logBox),
      el("section", { class: "panel", "aria-labelledby": "timeline-title" },
        el("div", { class: "panel-head" }, el("h2", { id: "timeline-title" }, "Events"), timelineCount),
        el("div", { class: "filters" }, typeFilter, agentFilter, levelFilter, turnFrom, turnTo),
        timeline)),
    drawer);

  // ---- header ----
  function renderHead() {
    statusPill.textContent = state.status;
    statusPill.className = `pill ${state.status}`;
    const end = state.finishedAt ?? (state.eventCount ? Date.now() : null);
    const took = state.startedAt && end ? duration(end - state.startedAt) : "—";
    facts.textContent = ` ${state.eventCount} events · ${state.agents.size} agents · ${took}`;
  }

  function renderOutcome(event) {
    const took = state.startedAt ? duration(state.finishedAt - state.startedAt) : "";
    if (event.type === "run.completed") {
      outcome.replaceChildren(el("div", { class: "notice success", role: "status", id: "run-success" },
        `Run completed in ${took}.`, event.data.summary ? ` ${event.data.summary}` : ""));
    } else if (event.type === "run.failed") {
      outcome.replaceChildren(el("div", { class: "notice failure", role: "alert", id: "run-error" },
        `Run failed: ${event.data.error ?? "no reason given"}`, event.data.code ? ` (${event.data.code})` : ""));
    } else {
      outcome.replaceChildren(el("div", { class: "notice failure", role: "alert", id: "run-error" },
        `Run cancelled${event.data.reason ? `: ${event.data.reason}` : ""}.`));
    }
  }

  // ---- status cards (R-progress) ----
  function card(key, titleText, agent) {
    let entry = state.cards.get(key);
    if (!entry) {
      const node = el("article", { class: "card queued", "data-card": key, tabindex: "0" });
      entry = { node, title: titleText, agent, state: null };
      state.cards.set(key, entry);
      cards.append(node);
    }
    if (agent) entry.agent = agent;
    return entry;
  }

  function setCard(entry, cardState, detail) {
    if (entry.state !== cardState) {
      const history = window.herald.cardHistory;
      history.push({ card: entry.node.dataset.card, state: cardState });
      if (history.length > 5000) history.splice(0, history.length - 5000);
    }
    entry.state = cardState;
    const node = entry.node;
    node.className = `card ${cardState}`;
    node.dataset.state = cardState;
    const status = { queued: "Queued", running: "Running", complete: "Complete", error: "Error" }[cardState];
    node.replaceChildren(...[
      el("header", {}, el("strong", {}, entry.title), entry.agent ? el("span", { class: "muted" }, ` ${entry.agent}`) : null),
      el("p", { class: "card-status" }, cardState === "running" ? el("span", { class: "spinner", "aria-hidden": "true" }) : null, status,
        detail.label ? ` · ${detail.label}` : ""),
      cardState === "running" && detail.percent !== undefined
        ? el("div", { class: "bar", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": String(detail.percent) },
          el("span", { style: `width:${Math.max(0, Math.min(100, detail.percent))}%` }))
        : null,
      detail.lines?.length ? el("p", { class: "card-detail" }, detail.lines.join(" · ")) : null,
    ].filter(Boolean));
  }

  function applyToCards(event) {
    const d = event.data ?? {};
    if (event.type.startsWith("step.")) {
      const entry = card(`step:${d.stepId}`, d.stepId, event.agent);
      const previous = entry.detail ?? {};
      switch (event.type) {
        case "step.queued": setCard(entry, "queued", (entry.detail = { label: d.label })); break;
        case "step.started": setCard(entry, "running", (entry.detail = { label: d.label, percent: 0 })); break;
        case "step.progress": setCard(entry, "running", (entry.detail = { label: d.label ?? previous.label, percent: d.percent })); break;
        case "step.completed":
          setCard(entry, "complete", (entry.detail = { lines: [
            d.tokensUsed !== undefined ? `${d.tokensUsed.toLocaleString()} tokens` : null,
            d.artifactId ? `artifact ${d.artifactId}` : null].filter(Boolean) }));
          break;
        case "step.failed": setCard(entry, "error", (entry.detail = { lines: [`${d.code}: ${d.message}`] })); break;
      }
    } else if (event.type.startsWith("agent.") && event.type !== "agent.log" && event.agent) {
      const entry = card(`agent:${event.agent}`, event.agent, d.role);
      switch (event.type) {
        case "agent.started": setCard(entry, "running", { label: d.role }); break;
        case "agent.completed": setCard(entry, "complete", { lines: [d.summary, d.prUrl].filter(Boolean) }); break;
        case "agent.failed": setCard(entry, "error", { lines: [d.error, d.willRetry ? "will retry" : "will not retry"] }); break;
      }
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
    const text = lines.join("\n");
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      const area = el("textarea", { class: "offscreen" });
      area.value = text;
      document.body.append(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    window.herald.copied = text;
    copyStatus.textContent = `Copied ${lines.length} lines`;
    setTimeout(() => { copyStatus.textContent = ""; }, 3000);
  });

  // ---- timeline and drawer ----
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

  function renderTimeline() {
    const matching = filtered();
    const shown = matching.slice(-MAX_TIMELINE_ROWS);
    // Rebuilding the rows must not take the keyboard focus away from the one the reader is on.
    const focused = timeline.contains(document.activeElement) ? document.activeElement.dataset.seq : null;
    timeline.replaceChildren(...shown.map(row));
    if (focused) timeline.querySelector(`[data-seq="${focused}"]`)?.focus();
    const held = state.events.length < state.eventCount ? ` (newest ${state.events.length.toLocaleString()} of ${state.eventCount.toLocaleString()})` : "";
    timelineCount.textContent = (matching.length === state.events.length ? `${matching.length}` : `${matching.length} of ${state.events.length}`) + held;
  }

  for (const input of [typeFilter, agentFilter, levelFilter, turnFrom, turnTo]) input.addEventListener("input", renderTimeline);

  let drawerRequest = 0;
  let opener = null;
  async function openDrawer(id) {
    const request = ++drawerRequest;
    if (drawer.hidden) opener = document.activeElement;
    drawer.hidden = false;
    drawer.replaceChildren(el("p", { class: "muted" }, "Loading…"));
    drawer.focus();
    try {
      const chain = await herald.causality(run, id, { project });
      if (request !== drawerRequest) return;  // another event was asked for meanwhile
      const link = (event) => el("li", {}, el("button", { type: "button", class: "chain-link", "data-id": event.id, onclick: () => openDrawer(event.id) },
        `#${event.seq} ${event.type}`, event.agent ? ` (${event.agent})` : ""));
      const e = chain.event;
      drawer.replaceChildren(...[
        el("div", { class: "drawer-head" }, el("h2", { id: "drawer-title" }, `#${e.seq} ${e.type}`),
          el("button", { type: "button", id: "drawer-close", onclick: closeDrawer, "aria-label": "Close" }, "×")),
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

  function closeDrawer() {
    drawer.hidden = true;
    drawerRequest += 1;
    opener?.focus();
  }
  const onKey = (event) => { if (event.key === "Escape" && !drawer.hidden) closeDrawer(); };
  document.addEventListener("keydown", onKey);

  // ---- events ----
  /** Takes an event into the parts named (all of them for a live event). */
  function addAgent(agent) {
    if (!agent || state.agents.has(agent)) return;
    state.agents.add(agent);
    for (const select of [logAgent, agentFilter]) select.append(el("option", { value: agent }, agent));
  }

  function apply(event, { cards: toCards = true, log = true, timeline = true, render = true } = {}) {
    addAgent(event.agent);
    if (timeline) {
      state.events.push(event);
      if (state.events.length > MAX_EVENTS) state.events.splice(0, state.events.length - MAX_EVENTS);
    }
    if (log && event.type === "agent.log") logLine(event);
    if (toCards) {
      state.startedAt ??= Date.parse(event.time);
      applyToCards(event);
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

  /** Every page of a query, forward. */
  async function readAll(filter) {
    const events = [];
    let after = 0;
    for (;;) {
      const page = await herald.events(run, { ...filter, project, after, limit: PAGE });
      events.push(...page.events);
      if (!page.hasMore || page.events.length === 0) return events;
      after = page.events[page.events.length - 1].seq;
    }
  }

  /** Redraws at most once per frame, however many events arrive. */
  let frame = null;
  function refresh() {
    if (frame === null) frame = requestAnimationFrame(() => { frame = null; redraw(); });
  }

  function redraw() {
    renderHead();
    renderTimeline();
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
        // What the cards and header need, in full; the newest lines and events for the panels.
        const upTo = summary.lastSeq + 1;
        const [status, lines, recent] = await Promise.all([
          readAll({ types: STATUS_TYPES }),
          herald.events(run, { project, types: "agent.log", before: upTo, limit: Math.min(MAX_LOG_LINES, PAGE) }),
          herald.events(run, { project, before: upTo, limit: PAGE }),
        ]);
        if (left) return;
        state.lastSeq = summary.lastSeq;
        state.eventCount = summary.eventCount;
        state.startedAt = Date.parse(summary.startedAt);
        summary.agents.forEach(addAgent);
        for (const event of status.filter((e) => e.seq <= summary.lastSeq)) apply(event, { log: false, timeline: false, render: false });
        // Events committed after the summary are the live feed's: it starts after lastSeq.
        for (const event of lines.events.filter((e) => e.seq <= summary.lastSeq)) apply(event, { cards: false, timeline: false, render: false });
        for (const event of recent.events.filter((e) => e.seq <= summary.lastSeq)) apply(event, { cards: false, log: false, render: false });
        logEarlier.hidden = logNotice.hidden = !lines.hasMore;
        refresh();
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
    document.removeEventListener("keydown", onKey);
  };
}
