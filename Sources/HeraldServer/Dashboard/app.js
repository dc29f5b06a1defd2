// The dashboard's entry: a hash router between the runs board (`#/?project=&status=&q=&since=`)
// and a run's view (`#/runs/{run}`), and the connection badge.
import { el, herald } from "./util.js";
import { showBoard } from "./board.js";
import { showRun } from "./run.js";

const main = document.getElementById("main");
const badge = document.getElementById("badge");
const crumbs = document.getElementById("crumbs");
const LABELS = { connecting: "Connecting", live: "Live", reconnecting: "Reconnecting", polling: "Polling", ended: "Ended" };

// What the browser tests (and a curious developer) can read.
window.herald = { mode: "connecting", modes: [], cardHistory: [] };

function setMode(mode) {
  window.herald.mode = mode;
  window.herald.modes = [...window.herald.modes.slice(-49), mode];
  badge.textContent = LABELS[mode] ?? mode;
  badge.className = `badge ${mode}`;
  badge.title = mode === "polling" ? "The live stream cannot be held open here: polling every 3 s" : "";
}

let leave = () => {};
function route() {
  leave();
  const hash = location.hash.replace(/^#/, "") || "/";
  const [path, query = ""] = hash.split("?");
  const params = new URLSearchParams(query);
  const project = params.get("project") ?? defaultProject;
  const match = path.match(/^\/runs\/(.+)$/);
  if (match) {
    const run = decodeURIComponent(match[1]);
    const board = `#/?project=${encodeURIComponent(project)}`;
    crumbs.replaceChildren(el("a", { href: board }, "Runs"), " / ", el("span", { "aria-current": "page" }, run));
    leave = showRun(main, { run, project: params.get("project") ?? undefined, setMode });
  } else {
    crumbs.replaceChildren(el("span", { "aria-current": "page" }, "Runs"));
    leave = showBoard(main, { project, status: params.get("status") ?? "all", q: params.get("q") ?? "", since: params.get("since") ?? "", setMode });
  }
}

// A Herald with access control answers 401 without a key: ask for a read key once per tab.
window.addEventListener("herald-unauthorized", () => {
  leave();
  leave = () => {};
  setMode("ended");
  const input = el("input", { id: "key", type: "password", autocomplete: "off", required: true, "aria-label": "Read key" });
  const form = el("form", { class: "panel key-form", id: "key-form" },
    el("h1", {}, "This Herald needs a key"),
    el("p", { class: "muted" }, "Enter a read key. It is kept for this tab only (sessionStorage) and sent in the Authorization header."),
    input, " ", el("button", { type: "submit" }, "Open"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem("heraldKey", input.value.trim());
    start();
  });
  main.replaceChildren(form);
  input.focus();
});

// Without `?project=` the board opens the project the key covers when it covers one
// (`/v1/access`); else `default` if it has runs, else the project updated last.
let defaultProject = "default";
async function start() {
  try {
    const access = await herald.access();
    if (Array.isArray(access.projects) && access.projects.length === 1 && access.projects[0] !== "*") {
      defaultProject = access.projects[0];
    } else {
      const { projects } = await herald.projects();
      if (projects.length > 0 && !projects.some((p) => p.project === "default")) defaultProject = projects[0].project;
    }
  } catch (error) {
    if (error.status === 401) return;  // the key form is up; it starts again once a key is entered
  }
  route();
}

window.addEventListener("hashchange", route);
start();
