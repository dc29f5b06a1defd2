// The runs board: active and recent runs, live from the project stream.
import { getJSON, el, duration, debounce } from "./util.js";
import { LiveFeed } from "./live.js";

const STATUSES = ["all", "active", "running", "queued", "completed", "failed", "cancelled"];

export function showBoard(main, { project, status, setMode }) {
  const filter = el("select", { id: "status-filter", "aria-label": "Status" },
    STATUSES.map((s) => el("option", { value: s, selected: s === status }, s === "all" ? "All statuses" : s)));
  const body = el("tbody", {}, el("tr", {}, el("td", { colspan: 6, class: "muted" }, "Loading runs…")));
  const table = el("table", { class: "runs", id: "runs" },
    el("thead", {}, el("tr", {}, ["Run", "Status", "Agents", "Events", "Started", "Duration"].map((h) => el("th", { scope: "col" }, h)))),
    body);
  main.replaceChildren(
    el("section", { class: "board", "aria-labelledby": "board-title" },
      el("div", { class: "board-head" }, el("h1", { id: "board-title" }, `Runs of ${project}`), filter),
      el("div", { class: "scroll-x" }, table)));

  let current = status;
  let asked = 0;  // answers that arrive out of order are dropped
  async function refresh() {
    const query = new URLSearchParams({ project, limit: "100" });
    if (current !== "all") query.set("status", current);
    const request = ++asked;
    try {
      const page = await getJSON(`/v1/runs?${query}`);
      if (request === asked) render(page.runs);
    } catch (error) {
      if (request !== asked) return;
      body.replaceChildren(el("tr", {}, el("td", { colspan: 6, class: "error" }, `Could not load the runs: ${error.message}`)));
    }
  }

  function render(runs) {
    if (runs.length === 0) {
      body.replaceChildren(el("tr", {}, el("td", { colspan: 6, class: "muted" }, "No runs yet. Try `herald demo`.")));
      return;
    }
    const now = Date.now();
    body.replaceChildren(...runs.map((run) => {
      const end = run.finishedAt ? Date.parse(run.finishedAt) : (["running", "queued"].includes(run.status) ? now : Date.parse(run.updatedAt));
      return el("tr", { "data-run": run.run },
        el("td", {}, el("a", { href: `#/runs/${encodeURIComponent(run.run)}` }, run.name ? `${run.run} — ${run.name}` : run.run)),
        el("td", {}, el("span", { class: `pill ${run.status}` }, run.status)),
        el("td", {}, run.agents.join(", ") || "—"),
        el("td", { class: "num" }, run.eventCount),
        el("td", {}, new Date(run.startedAt).toLocaleString([], { hour12: false })),
        el("td", { class: "num" }, duration(end - Date.parse(run.startedAt))));
    }));
  }

  filter.addEventListener("change", () => {
    current = filter.value;
    const query = new URLSearchParams();
    if (project !== "default") query.set("project", project);
    if (current !== "all") query.set("status", current);
    location.hash = `#/${query.size ? `?${query}` : ""}`;
  });

  const later = debounce(refresh, 300);
  const feed = new LiveFeed({
    streamURL: (after) => `/v1/projects/${encodeURIComponent(project)}/stream?` + (after === null ? "from=now" : `after=${after}`),
    onEvent: later,
    // Whatever happened while the stream was down shows when it is back.
    onMode: (mode) => { setMode(mode); if (mode === "live") later(); },
  });
  refresh();
  feed.start();
  const ticker = setInterval(refresh, 10000);  // durations of running runs move on
  return () => { feed.stop(); clearInterval(ticker); later.cancel(); asked += 1; };
}
