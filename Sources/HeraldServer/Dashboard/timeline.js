// The waterfall: one lane per agent, a bar per task, step attempt, tool call and message from its
// start to its end, markers for decisions, errors and retries. Drawn by hand in SVG (the page
// fetches no library): only what is in view is drawn, one element each, and past a budget the
// short ones gather into one bar with a count per column of time, so a run of 100,000 events
// zooms and pans without long tasks.
import { el, clock, duration } from "./util.js";
import { createSpans } from "./spans.js";

const SVG = "http://www.w3.org/2000/svg";
const TRACKS = ["task", "step", "tool", "message"];  // top to bottom within a lane
const TRACK = 12, GAP = 3, MARKS = 12, PAD = 6, GUTTER = 110, AXIS = 22, RIGHT = 8;
const MAX_ROWS = 4;       // rows a track stacks bars that run at once in
const BUDGET = 300;       // bars and markers drawn at most (about): past it they gather per column
// Marker shapes, centred on (x, y): a diamond for a decision, a triangle for a retry, a cross for an error.
const MARKER_PATHS = {
  decision: (x, y) => `M${x} ${y - 5}l5 5l-5 5l-5 -5z`,
  retry: (x, y) => `M${x - 5} ${y + 4}l5 -9l5 9z`,
  error: (x, y) => `M${x - 4} ${y - 4}l8 8m0 -8l-8 8`,
};

/** The timeline of one run. `onOpen(span)` opens a bar (a span of spans.js) in the run view's drawer. */
export function createTimeline({ onOpen }) {
  const model = createSpans();
  const { lanes } = model;
  let view = null;         // {start, end} once the reader zoomed or panned; null follows the run
  let highlighted = null;  // the key of a bar jumped to from the conversation
  let shown = [];          // what the last render drew, by data-index
  const rowsDrawn = new Map();  // "lane\nkind" → rows: they only grow, so panning does not reflow the page

  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("id", "waterfall");
  svg.setAttribute("role", "group");
  svg.setAttribute("aria-label", "Timeline: tasks, steps, tool calls and messages by agent");
  const zoomIn = el("button", { type: "button", id: "zoom-in", "aria-label": "Zoom in" }, "+");
  const zoomOut = el("button", { type: "button", id: "zoom-out", "aria-label": "Zoom out" }, "−");
  const fit = el("button", { type: "button", id: "zoom-fit" }, "Fit");
  const range = el("span", { class: "muted", id: "timeline-range" });
  const frame = el("div", { class: "waterfall", tabindex: "0", id: "waterfall-frame",
    "aria-label": "Timeline; arrow keys pan, + and − zoom, 0 fits the run" }, svg);
  const legend = el("p", { class: "legend muted", "aria-hidden": "true" },
    TRACKS.map((kind) => el("span", { class: `swatch ${kind}` }, kind)), " ◆ decision ▲ retry ✕ error · ctrl+wheel zooms, shift+wheel or drag pans");
  const node = el("div", {}, el("div", { class: "panel-head" }, el("h2", { id: "waterfall-title" }, "Timeline"), range, zoomOut, zoomIn, fit), legend, frame);

  // ---- the view ----
  /** Now, as the run's bars see it: open bars grow to it while the run is live. */
  function now() {
    return model.ended ?? Math.max(model.last ?? Date.now(), Date.now());
  }

  function whole() {
    const start = model.first ?? Date.now();
    return { start, end: Math.max(now(), start + 1000) };
  }

  function current() {
    return view ?? whole();
  }

  function setView(start, end) {
    const all = whole();
    const span = Math.max(end - start, 20);  // 20 ms is as close as it zooms
    view = { start, end: start + span };
    if (view.start <= all.start && view.end >= all.end) view = null;  // all of it: follow the run again
    render();
  }

  function zoom(factor, at = 0.5) {
    const { start, end } = current();
    const pivot = start + (end - start) * at;
    setView(pivot - (pivot - start) * factor, pivot + (end - pivot) * factor);
  }

  function pan(fraction) {
    const { start, end } = current();
    const shift = (end - start) * fraction;
    setView(start + shift, end + shift);
  }

  zoomIn.addEventListener("click", () => zoom(0.5));
  zoomOut.addEventListener("click", () => zoom(2));
  fit.addEventListener("click", () => { view = null; render(); });
  frame.addEventListener("wheel", (event) => {
    const plot = frame.clientWidth - GUTTER - RIGHT;
    if (event.ctrlKey || event.metaKey) {
      event.preventDefault();
      const at = Math.min(1, Math.max(0, (event.clientX - frame.getBoundingClientRect().left - GUTTER) / plot));
      zoom(event.deltaY > 0 ? 1.25 : 0.8, at);
    } else if (event.shiftKey || Math.abs(event.deltaX) > Math.abs(event.deltaY)) {
      event.preventDefault();
      pan((event.shiftKey ? event.deltaY : event.deltaX) / plot);
    }
  }, { passive: false });
  let drag = null;
  frame.addEventListener("pointerdown", (event) => {
    if (event.target.closest("[data-index]")) return;
    drag = { x: event.clientX, view: current() };
    frame.setPointerCapture(event.pointerId);
  });
  frame.addEventListener("pointermove", (event) => {
    if (!drag) return;
    const msPerPx = (drag.view.end - drag.view.start) / (frame.clientWidth - GUTTER - RIGHT);
    const shift = (drag.x - event.clientX) * msPerPx;
    setView(drag.view.start + shift, drag.view.end + shift);
  });
  frame.addEventListener("pointerup", () => { drag = null; });
  frame.addEventListener("keydown", (event) => {
    const item = event.target.closest?.("[data-index]");
    if (item && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      activate(shown[Number(item.dataset.index)]);
      return;
    }
    const keys = { ArrowLeft: () => pan(-0.2), ArrowRight: () => pan(0.2), "+": () => zoom(0.5), "=": () => zoom(0.5), "-": () => zoom(2), "0": () => fit.click() };
    if (keys[event.key]) { event.preventDefault(); keys[event.key](); }
  });
  // One tooltip for all: the bar or marker under the pointer names itself.
  svg.addEventListener("pointerover", (event) => { frame.title = event.target.getAttribute?.("aria-label") ?? ""; });
  svg.addEventListener("click", (event) => {
    const item = event.target.closest("[data-index]");
    if (item) activate(shown[Number(item.dataset.index)]);
  });

  /** A bar opens its events; a merged group zooms in to show its bars. */
  function activate(item) {
    if (!item) return;
    if (item.group) setView(item.start - (item.end - item.start) * 0.1 - 10, item.end + (item.end - item.start) * 0.1 + 10);
    else if (item.span) onOpen(item.span);
    else onOpen({ kind: item.marker.kind, key: `marker:${item.marker.event.id}`, label: item.marker.label, agent: item.marker.agent,
      start: item.marker.time, end: item.marker.time, state: item.marker.kind, events: [item.marker.event] });
  }

  /** Shows a bar (a message, from the conversation): zooms to it, highlights and focuses it. */
  function reveal(key) {
    const span = model.find(key);
    if (!span) return false;
    const end = span.end ?? now();
    const pad = Math.max((end - span.start) * 0.5, 50);
    highlighted = key;
    setView(span.start - pad, end + pad);
    node.scrollIntoView({ block: "nearest" });
    svg.querySelector(`[data-key="${CSS.escape(key)}"]`)?.focus();
    return true;
  }

  // ---- drawing ----
  function shape(tag, attributes) {
    const item = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes)) if (value !== undefined) item.setAttribute(name, value);
    return item;
  }

  /**
   * The visible items of one sorted list, as groups to draw. Within `budget` each item is its own
   * group; past it (zoomed out on a long run) items shorter than a column of time are gathered
   * per column, the columns fixed in run time so that panning does not regroup them.
   */
  function visible(list, startOf, endOf, x, budget) {
    const { start, end } = current();
    const items = [];
    for (const item of list) {
      const s = startOf(item);
      if (s > end) break;
      if (endOf(item) >= start) items.push(item);
    }
    const column = items.length > budget ? (end - start) / budget : 0;
    const groups = [];
    let gathering = null;  // the group of the current column
    for (const item of items) {
      const s = startOf(item), e = endOf(item);
      const index = column ? Math.floor((s - (model.first ?? 0)) / column) : -1;
      if (column && e - s < column && gathering?.index === index) {
        gathering.items.push(item);
        gathering.end = Math.max(gathering.end, e);
        gathering.x1 = Math.max(gathering.x1, x(e));
        continue;
      }
      const group = { items: [item], start: s, end: e, x0: x(s), x1: x(e), index };
      groups.push(group);
      if (column && e - s < column) gathering = group;
    }
    return groups;
  }

  /** Gives each group a row (`group.row`) so that groups drawn at once do not cover one
   * another, up to MAX_ROWS (past that they share the row that frees first); answers the rows used. */
  function pack(groups) {
    const ends = [];  // per row, where its last group ends (px)
    for (const group of groups) {
      let row = ends.findIndex((end) => end <= group.x0 + 0.01);
      if (row === -1) row = ends.length < MAX_ROWS ? ends.length : ends.indexOf(Math.min(...ends));
      ends[row] = Math.max(ends[row] ?? -Infinity, group.x1);
      group.row = row;
    }
    return Math.max(1, ends.length);
  }

  function ticks(start, end, plot) {
    const target = (end - start) / Math.max(1, plot / 110);
    const steps = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 15000, 30000, 60000, 120000, 300000, 600000, 1800000, 3600000, 7200000, 21600000, 86400000];
    const step = steps.find((s) => s >= target) ?? steps.at(-1);
    const origin = model.first ?? start;
    const out = [];
    for (let t = origin + Math.ceil((start - origin) / step) * step; t <= end; t += step) out.push(t);
    return out;
  }

  /** "+1m 02s": a time as the run's clock reads it (the axis' labels too). */
  function since(time) {
    return `+${duration(time - (model.first ?? time))}`;
  }

  function render() {
    const width = Math.max(frame.clientWidth, 240);
    const plot = width - GUTTER - RIGHT;
    const { start, end } = current();
    const x = (t) => GUTTER + ((t - start) / (end - start)) * plot;
    const liveEnd = now();
    const focusedKey = svg.contains(document.activeElement) ? document.activeElement.dataset.key : null;
    shown = [];
    const parts = [];
    const rows = [...lanes.values()].reduce((sum, entry) => sum + 1 + entry.tracks.size, 0);
    const budget = Math.max(20, Math.floor(BUDGET / Math.max(1, rows)));
    let y = AXIS;

    for (const t of ticks(start, end, plot)) {
      const at = x(t).toFixed(1);
      parts.push(shape("line", { x1: at, x2: at, y1: AXIS - 4, y2: "100%", class: "tick" }));
      const label = shape("text", { x: at, y: 12, class: "tick-label", "text-anchor": "middle" });
      label.textContent = since(t);
      parts.push(label);
    }

    for (const entry of lanes.values()) {
      // Bars of a track that run at once stand one under another.
      const tracks = TRACKS.filter((kind) => entry.tracks.get(kind)?.length).map((kind) => {
        const groups = visible(entry.tracks.get(kind), (s) => s.start, (s) => s.end ?? liveEnd, x, budget);
        const key = `${entry.name}\n${kind}`;
        rowsDrawn.set(key, Math.max(rowsDrawn.get(key) ?? 1, pack(groups)));
        return { kind, groups, rows: rowsDrawn.get(key) };
      });
      const height = PAD + MARKS + tracks.reduce((sum, track) => sum + track.rows * (TRACK + GAP), 0) + PAD;
      parts.push(shape("rect", { x: 0, y, width, height, class: "lane" }));
      const name = shape("text", { x: 6, y: y + height / 2 + 4, class: "lane-label" });
      name.textContent = entry.name.length > 14 ? `${entry.name.slice(0, 13)}…` : entry.name;
      parts.push(name);
      for (const band of entry.bands) {
        const bandEnd = band.end ?? liveEnd;
        if (bandEnd < start || band.start > end) continue;
        const x0 = Math.max(GUTTER, x(band.start)), x1 = Math.min(width - RIGHT, x(bandEnd));
        parts.push(shape("rect", { x: x0, y: y + 2, width: Math.max(1, x1 - x0), height: height - 4, class: "band",
          "data-agent": entry.name, "data-start": band.start, "data-end": bandEnd, "data-open": String(band.end === null) }));
      }

      // One element per bar or marker, few attributes: the cost of a frame is the elements drawn.
      const markerY = y + PAD + MARKS / 2;
      for (const group of visible(entry.markers, (m) => m.time, (m) => m.time, x, budget)) {
        const one = group.items.length === 1 ? group.items[0] : null;
        const kinds = [...new Set(group.items.map((m) => m.kind))];
        const kind = kinds.includes("error") ? "error" : kinds[0];
        const index = shown.push(one ? { marker: one } : { group: true, start: group.start, end: group.end }) - 1;
        const cx = (group.x0 + group.x1) / 2;
        const label = one ? `${one.kind} at ${since(one.time)}: ${one.label}` : `${group.items.length} markers (${kinds.join(", ")}) at ${since(group.start)}; zoom in`;
        parts.push(shape("path", { d: MARKER_PATHS[kind](cx, markerY), class: `marker ${kind}${one ? "" : " merged"}`, role: "button", tabindex: "0",
          "aria-label": label, "data-index": index, "data-key": one ? `marker:${one.event.id}` : `group:${entry.name}:m:${group.start}`,
          "data-kind": kind, "data-kinds": one ? undefined : kinds.join(" "), "data-time": group.start, "data-seq": one?.event.seq,
          "data-count": one ? undefined : group.items.length }));
      }

      let trackTop = y + PAD + MARKS;
      for (const { kind, groups, rows: trackRows } of tracks) {
        for (const group of groups) {
          const top = trackTop + group.row * (TRACK + GAP);
          const one = group.items.length === 1 ? group.items[0] : null;
          const index = shown.push(one ? { span: one } : { group: true, start: group.start, end: group.end }) - 1;
          const x0 = Math.max(GUTTER - 2, group.x0), x1 = Math.min(width - RIGHT + 2, group.x1);
          const state = one ? one.state : (group.items.some((s) => s.state === "failed") ? "failed" : "ok");
          const spanEnd = one ? (one.end ?? liveEnd) : group.end;
          const label = one
            ? `${kind} ${one.label}, at ${since(one.start)}, ${one.end === null ? `running for ${duration(liveEnd - one.start)}` : `${duration(one.end - one.start)}, ${one.state}`}`
            : `${group.items.length} ${kind}s at ${since(group.start)}; zoom in`;
          parts.push(shape("rect", { x: x0.toFixed(2), y: top, width: Math.max(2, x1 - x0).toFixed(2), height: TRACK,
            class: `bar ${kind} ${state}${one ? "" : " merged"}${one && one.key === highlighted ? " highlight" : ""}`,
            role: "button", tabindex: "0", "aria-label": label, "data-index": index, "data-kind": kind,
            "data-key": one ? one.key : `group:${entry.name}:${kind}:${group.start}`,
            "data-start": group.start, "data-end": spanEnd, "data-open": one && one.end === null ? "true" : undefined,
            "data-state": state, "data-count": one ? undefined : group.items.length }));
        }
        trackTop += trackRows * (TRACK + GAP);
      }
      y += height;
    }

    svg.setAttribute("width", width);
    svg.setAttribute("height", Math.max(y, AXIS + 40));
    svg.setAttribute("viewBox", `0 0 ${width} ${Math.max(y, AXIS + 40)}`);
    // What a test (or a curious reader) needs to map times to pixels.
    Object.assign(svg.dataset, { viewStart: start, viewEnd: end, plotX: GUTTER, plotWidth: plot, following: String(view === null) });
    svg.replaceChildren(...parts);
    if (lanes.size === 0) svg.append(Object.assign(shape("text", { x: GUTTER, y: AXIS + 20, class: "tick-label" }), { textContent: "No tasks, steps, tool calls or messages yet." }));
    if (focusedKey) svg.querySelector(`[data-key="${CSS.escape(focusedKey)}"]`)?.focus();
    range.textContent = `${clock(start)} – ${clock(end)} (${duration(end - start)})`;
  }

  // Open bars grow while the run is live; the frame follows the page's width.
  const ticker = setInterval(() => { if (model.ended === null && model.running && frame.isConnected) render(); }, 500);
  const resize = new ResizeObserver(() => render());
  resize.observe(frame);

  return {
    node, add: model.add, render, reveal,
    stop() { clearInterval(ticker); resize.disconnect(); },
  };
}
