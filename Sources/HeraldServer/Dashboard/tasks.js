// Task cards (R-lifecycle): one per `taskId`, following task.started / task.status_changed /
// task.completed / task.failed through planning → active → done or failed, with its subtasks
// and what unblocked them.
import { el } from "./util.js";
import { drawCard } from "./cards.js";

// Each team names its statuses its own way (PLANNING, queued, running, DONE, PLANNING_FAILED…):
// the card's state is read from the name, and the name itself is shown.
const PHASES = [
  { state: "failed", cls: "error", test: /fail|error|cancel|abort/ },
  { state: "done", cls: "complete", test: /^(done|complete|completed|success|succeeded|merged|finished)$/ },
  { state: "planning", cls: "queued", test: /^(planning|planned|queued|pending|blocked|created|todo|new|waiting)$/ },
];
const STATUS = { planning: "Planning", active: "Active", done: "Done", failed: "Failed" };

/** The card state of a status name: planning, active, done or failed (the timeline's too). */
export function phase(status) {
  const name = String(status).toLowerCase();
  return PHASES.find((p) => p.test.test(name)) ?? { state: "active", cls: "running" };
}

export function createTasks(container, empty) {
  const tasks = new Map();

  function task(event, d) {
    let entry = tasks.get(d.taskId);
    if (!entry) {
      const node = el("article", { class: "card queued task", "data-card": `task:${d.taskId}`, tabindex: "0" });
      entry = { node, id: d.taskId, title: d.taskId, agent: event.agent, statuses: [], subtasks: new Map(), error: null, phase: null };
      tasks.set(d.taskId, entry);
      container.append(node);
      empty.hidden = true;
    }
    return entry;
  }

  function status(entry, name) {
    if (entry.statuses.at(-1) !== name) entry.statuses.push(name);
    entry.phase = phase(name);
  }

  function subtask(entry, id) {
    if (!entry.subtasks.has(id)) entry.subtasks.set(id, { status: null, unblockedBy: null });
    return entry.subtasks.get(id);
  }

  function add(event) {
    const d = event.data ?? {};
    if (!event.type.startsWith("task.") || d.taskId === undefined) return;
    const entry = task(event, d);
    switch (event.type) {
      case "task.started":
        if (d.title) entry.title = `${d.taskId} — ${d.title}`;
        status(entry, "started");
        break;
      case "task.status_changed":
        if (entry.statuses.length === 0 && d.old) status(entry, d.old);
        status(entry, d.new);
        break;
      case "task.completed": status(entry, "completed"); entry.result = d.result; break;
      case "task.failed": status(entry, "failed"); entry.error = d.error; break;
      case "task.subtask_status_changed": subtask(entry, d.subtaskId).status = d.new; break;
      case "task.subtask_unblocked": subtask(entry, d.subtaskId).unblockedBy = d.unblockedBy; break;
    }
    draw(entry);
  }

  function draw(entry) {
    const state = entry.phase?.state ?? "planning";
    const subtasks = [...entry.subtasks].map(([id, s]) => el("li", { "data-subtask": id, "data-status": s.status ?? "" },
      el("span", { class: "type" }, id), s.status ? ` ${s.status}` : "", s.unblockedBy ? el("span", { class: "muted" }, ` · unblocked by ${s.unblockedBy}`) : ""));
    drawCard(entry.node, {
      title: entry.title, agent: entry.agent, state, cls: entry.phase?.cls ?? "queued", status: STATUS[state],
      label: entry.statuses.at(-1) === "started" ? "" : entry.statuses.at(-1),
      lines: [entry.statuses.length > 1 ? entry.statuses.join(" → ") : null, entry.error].filter(Boolean),
      extra: subtasks.length ? el("ul", { class: "subtasks", "aria-label": "Subtasks" }, subtasks) : null,
    });
  }

  /** Tasks whose last word is a failure. */
  function failed() {
    return [...tasks.values()].filter((t) => t.phase?.state === "failed").map((t) => ({ id: t.id, why: t.error ?? t.statuses.at(-1) }));
  }

  return { add, failed };
}
