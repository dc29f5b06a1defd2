// The runs board: active and recent runs of a project, live from its stream, a picker between
// the projects the reader can see, search by name, filters by status and time, a sparkline of
// each run's event rate, and pages.
import { herald, el, duration, debounce } from "./util.js";
import { rates, sparkline } from "./sparkline.js";

const STATUSES = ["all", "active", "running", "queued", "completed", "failed", "cancelled"];
const SINCE = { "": "Any time", "1h": "Last hour", "24h": "Last 24 hours", "7d": "Last 7 days" };
const SINCE_MS = { "1h": 3600e3, "24h": 86400e3, "7d": 7 * 86400e3 };
const PAGE_SIZE = 25;
const SCAN = 100;         // runs asked per request while filling a page
const MAX_SCANNED = 5000; // a search looks through this many of the latest-updated runs
const COLUMNS = ["Run", "Status", "Activity", "Agents", "Events", "Started", "Duration"];

/** The board's link: `#/?project=p&status=s&q=text&since=24h`, leaving out the defaults. */
function boardLink(project, { status = "all", q = "", since = "" } = {}) {
  const query = new URLSearchParams();
  if (project !== "default") query.set("project", project);
  if (status !== "all") query.set("status", status);
  if (q) query.set("q", q);
  if (since) query.set("since", since);
  return `#/${query.size ? `?${query}` : ""}`;
}

export function showBoard(main, { project, status, q = "", since = "", setMode }) {
  const filters = { status, q, since: SINCE[since] ? since : "" };
  const picker = el("select", { id: "project-picker", "aria-label": "Project" }, el("option", { value: project, selected: true }, project));
  picker.addEventListener("change", () => { location.hash = boardLink(picker.value, filters); });
  const search = el("input", { id: "run-search", type: "search", placeholder: "Search runs by name", "aria-label": "Search runs by name", value: filters.q });
  const filter = el("select", { id: "status-filter", "aria-label": "Status" },
    STATUSES.map((s) => el("option", { value: s, selected: s === status }, s === "all" ? "All statuses" : s)));
  const time = el("select", { id: "time-filter", "aria-label": "Started" },
    Object.entries(SINCE).map(([value, label]) => el("option", { value, selected: value === filters.since }, label)));
  const body = el("tbody", {}, el("tr", {}, el("td", { colspan: COLUMNS.length, class: "muted" }, "Loading runs…")));
  const table = el("table", { class: "runs", id: "runs" },
    el("thead", {}, el("tr", {}, COLUMNS.map((h) => el("th", { scope: "col" }, h)))),
    body);
  const previous = el("button", { type: "button", id: "page-prev", disabled: true }, "← Newer");
  const next = el("button", { type: "button", id: "page-next", disabled: true }, "Older →");
  const pageInfo = el("span", { id: "page-info", class: "muted", "aria-live": "polite" });
  main.replaceChildren(
    el("section", { class: "board", "aria-labelledby": "board-title" },
      el("div", { class: "board-head" }, el("h1", { id: "board-title" }, "Runs of ", picker),
        el("div", { class: "filters" }, search, filter, time)),
      el("div", { class: "scroll-x" }, table),
      el("nav", { class: "pager", "aria-label": "Pages of runs" }, previous, pageInfo, next)));

  // A page starts at a position in the server's listing (newest update first): its cursor and
  // how many runs of that server page were already shown. Filters the server does not know
  // (name, time) are applied here while the page fills.
  const starts = [{ cursor: undefined, skip: 0 }];
  let following = null;  // where the next page starts; null: this is the last
  let asked = 0;  // answers that arrive out of order are dropped
  let others = [];  // other projects with runs, named when this one has none

  const wanted = (run, cutoff) => (!filters.q || `${run.run} ${run.name ?? ""}`.toLowerCase().includes(filters.q.toLowerCase()))
    && (cutoff === null || Date.parse(run.startedAt) >= cutoff);

  /** One page of runs that match, from `start`; and where the page after it starts. */
  async function load(start) {
    const cutoff = filters.since ? Date.now() - SINCE_MS[filters.since] : null;
    const rows = [];
    let { cursor, skip } = start, scanned = 0;
    for (;;) {
      const page = await herald.runs({ project, status: filters.status === "all" ? undefined : filters.status, limit: SCAN, cursor });
      for (let i = skip; i < page.runs.length; i += 1) {
        if (!wanted(page.runs[i], cutoff)) continue;
        if (rows.length === PAGE_SIZE) return { rows, next: { cursor, skip: i } };
        rows.push(page.runs[i]);
      }
      scanned += page.runs.length;
      // Listed by last update: a run updated before the cutoff started before it too.
      const older = cutoff !== null && page.runs.length && Date.parse(page.runs.at(-1).updatedAt) < cutoff;
      if (!page.nextCursor || older || scanned >= MAX_SCANNED) return { rows, next: null, capped: scanned >= MAX_SCANNED && page.nextCursor };
      cursor = page.nextCursor;
      skip = 0;
    }
  }

  async function refresh() {
    const request = ++asked;
    try {
      const [page, listing] = await Promise.all([load(starts.at(-1)), herald.projects().catch(() => ({ projects: [] }))]);
      if (request !== asked) return;
      showProjects(listing.projects);
      following = page.next;
      previous.disabled = starts.length === 1;
      next.disabled = following === null;
      pageInfo.textContent = `Page ${starts.length}${page.capped ? ` · searched the latest ${MAX_SCANNED.toLocaleString()} runs` : ""}`;
      render(page.rows, request);
    } catch (error) {
      if (request !== asked) return;
      body.replaceChildren(el("tr", {}, el("td", { colspan: COLUMNS.length, class: "error" }, `Could not load the runs: ${error.message}`)));
    }
  }

  /** The picker lists every project with runs (and this one, even before its first run). */
  function showProjects(projects) {
    const names = projects.map((p) => p.project);
    if (!names.includes(project)) names.unshift(project);
    others = projects.filter((p) => p.project !== project);
    const active = new Map(projects.map((p) => [p.project, p.activeRuns]));
    const labels = names.map((name) => active.get(name) ? `${name} (${active.get(name)} active)` : name);
    // Redrawn only when something changed: a reader may have the list open.
    if (labels.join("\n") === [...picker.options].map((o) => o.textContent).join("\n")) return;
    picker.replaceChildren(...names.map((name, i) => el("option", { value: name, selected: name === project }, labels[i])));
  }

  function render(runs, request) {
    if (runs.length === 0) {
      const filtered = filters.status !== "all" || filters.q || filters.since;
      const elsewhere = filtered ? [] : others.length === 0 ? ["Try `herald demo`."]
        : ["Other projects have runs: ", ...others.slice(0, 5).flatMap((p, i) => [i ? ", " : "", el("a", { href: boardLink(p.project) }, p.project)])];
      const none = filtered ? `No runs in ${project} match. ` : `No runs yet in ${project}. `;
      body.replaceChildren(el("tr", {}, el("td", { colspan: COLUMNS.length, class: "muted", id: "no-runs" }, none, ...elsewhere)));
      return;
    }
    const now = Date.now();
    body.replaceChildren(...runs.map((run) => {
      const end = run.finishedAt ? Date.parse(run.finishedAt) : (["running", "queued"].includes(run.status) ? now : Date.parse(run.updatedAt));
      const activity = el("td", { class: "activity" });
      rates(run).then((values) => { if (request === asked) activity.replaceChildren(sparkline(values)); }, () => {});
      return el("tr", { "data-run": run.run },
        el("td", {}, el("a", { href: `#/runs/${encodeURIComponent(run.run)}?project=${encodeURIComponent(run.project)}` }, run.name ? `${run.run} — ${run.name}` : run.run)),
        el("td", {}, el("span", { class: `pill ${run.status}` }, run.status)),
        activity,
        el("td", {}, run.agents.join(", ") || "—"),
        el("td", { class: "num" }, run.eventCount),
        el("td", {}, new Date(run.startedAt).toLocaleString([], { hour12: false })),
        el("td", { class: "num" }, duration(end - Date.parse(run.startedAt))));
    }));
  }

  filter.addEventListener("change", () => { location.hash = boardLink(project, { ...filters, status: filter.value }); });
  time.addEventListener("change", () => { location.hash = boardLink(project, { ...filters, since: time.value }); });
  // Typing narrows the page at once; the link follows, without a page load per key.
  const typed = debounce(() => {
    filters.q = search.value.trim();
    history.replaceState(null, "", boardLink(project, filters));
    starts.splice(1);
    refresh();
  }, 250);
  search.addEventListener("input", typed);
  next.addEventListener("click", () => { if (following) { starts.push(following); refresh(); } });
  previous.addEventListener("click", () => { if (starts.length > 1) { starts.pop(); refresh(); } });

  const later = debounce(refresh, 300);
  const stop = herald.subscribe({ project, from: "now" }, {
    onEvent: later,
    // Whatever happened while the stream was down shows when it is back.
    onStatus: (mode) => { setMode(mode); if (mode === "live") later(); },
  });
  refresh();
  const ticker = setInterval(refresh, 10000);  // durations of running runs move on
  return () => { stop(); clearInterval(ticker); later.cancel(); typed.cancel(); asked += 1; };
}
