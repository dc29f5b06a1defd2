// The runs board: active and recent runs of a project, live from its stream, and a picker
// between the projects the reader can see.
import { herald, el, duration, debounce } from "./util.js";

const STATUSES = ["all", "active", "running", "queued", "completed", "failed", "cancelled"];

/** The board's link: `#/?project=p&status=s`, leaving out the defaults. */
function boardLink(project, status) {
  const query = new URLSearchParams();
  if (project !== "default") query.set("project", project);
  if (status !== "all") query.set("status", status);
  return `#/${query.size ? `?${query}` : ""}`;
}

export function showBoard(main, { project, status, setMode }) {
  const picker = el("select", { id: "project-picker", "aria-label": "Project" }, el("option", { value: project, selected: true }, project));
  picker.addEventListener("change", () => { location.hash = boardLink(picker.value, current); });
  const filter = el("select", { id: "status-filter", "aria-label": "Status" },
    STATUSES.map((s) => el("option", { value: s, selected: s === status }, s === "all" ? "All statuses" : s)));
  const body = el("tbody", {}, el("tr", {}, el("td", { colspan: 6, class: "muted" }, "Loading runs…")));
  const table = el("table", { class: "runs", id: "runs" },
    el("thead", {}, el("tr", {}, ["Run", "Status", "Agents", "Events", "Started", "Duration"].map((h) => el("th", { scope: "col" }, h)))),
    body);
  main.replaceChildren(
    el("section", { class: "board", "aria-labelledby": "board-title" },
      el("div", { class: "board-head" }, el("h1", { id: "board-title" }, "Runs of ", picker), filter),
      el("div", { class: "scroll-x" }, table)));

  let current = status;
  let asked = 0;  // answers that arrive out of order are dropped
  let others = [];  // other projects with runs, named when this one has none
  async function refresh() {
    const request = ++asked;
    try {
      const [page, listing] = await Promise.all([
        herald.runs({ project, status: current === "all" ? undefined : current, limit: 100 }),
        herald.projects().catch(() => ({ projects: [] })),
      ]);
      if (request !== asked) return;
      showProjects(listing.projects);
      render(page.runs);
    } catch (error) {
      if (request !== asked) return;
      body.replaceChildren(el("tr", {}, el("td", { colspan: 6, class: "error" }, `Could not load the runs: ${error.message}`)));
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

  function render(runs) {
    if (runs.length === 0) {
      const elsewhere = others.length === 0 ? ["Try `herald demo`."]
        : ["Other projects have runs: ", ...others.slice(0, 5).flatMap((p, i) => [i ? ", " : "", el("a", { href: boardLink(p.project, "all") }, p.project)])];
      const none = current === "all" ? `No runs yet in ${project}. ` : `No ${current} runs in ${project}. `;
      body.replaceChildren(el("tr", {}, el("td", { colspan: 6, class: "muted", id: "no-runs" }, none, ...elsewhere)));
      return;
    }
    const now = Date.now();
    body.replaceChildren(...runs.map((run) => {
      const end = run.finishedAt ? Date.parse(run.finishedAt) : (["running", "queued"].includes(run.status) ? now : Date.parse(run.updatedAt));
      return el("tr", { "data-run": run.run },
        el("td", {}, el("a", { href: `#/runs/${encodeURIComponent(run.run)}?project=${encodeURIComponent(run.project)}` }, run.name ? `${run.run} — ${run.name}` : run.run)),
        el("td", {}, el("span", { class: `pill ${run.status}` }, run.status)),
        el("td", {}, run.agents.join(", ") || "—"),
        el("td", { class: "num" }, run.eventCount),
        el("td", {}, new Date(run.startedAt).toLocaleString([], { hour12: false })),
        el("td", { class: "num" }, duration(end - Date.parse(run.startedAt))));
    }));
  }

  filter.addEventListener("change", () => {
    current = filter.value;
    location.hash = boardLink(project, current);
  });

  const later = debounce(refresh, 300);
  const stop = herald.subscribe({ project, from: "now" }, {
    onEvent: later,
    // Whatever happened while the stream was down shows when it is back.
    onStatus: (mode) => { setMode(mode); if (mode === "live") later(); },
  });
  refresh();
  const ticker = setInterval(refresh, 10000);  // durations of running runs move on
  return () => { stop(); clearInterval(ticker); later.cancel(); asked += 1; };
}
