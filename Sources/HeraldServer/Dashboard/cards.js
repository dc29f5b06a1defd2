// Status cards (R-progress): one per step (`step.*`) and per agent (`agent.*`), and the card
// drawing the task cards share.
import { el } from "./util.js";

/** Remembers a card's change of state, for the browser tests (bounded). */
function record(card, state) {
  const history = window.herald.cardHistory;
  history.push({ card, state });
  if (history.length > 5000) history.splice(0, history.length - 5000);
}

/**
 * Draws a card: `{title, agent, state, status, label, percent, lines, extra}`. `state` is the
 * card's class and `data-state`; `status` the word shown for it.
 */
export function drawCard(node, { title, agent, state, cls = state, status, label, percent, lines = [], extra = null }) {
  if (node.dataset.state !== state) record(node.dataset.card, state);
  node.className = `card ${cls}`;
  node.dataset.state = state;
  node.replaceChildren(...[
    el("header", {}, el("strong", {}, title), agent ? el("span", { class: "muted" }, ` ${agent}`) : null),
    el("p", { class: "card-status" }, cls === "running" ? el("span", { class: "spinner", "aria-hidden": "true" }) : null, status,
      label ? ` · ${label}` : ""),
    percent !== undefined
      ? el("div", { class: "bar", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": String(percent) },
        el("span", { style: `width:${Math.max(0, Math.min(100, percent))}%` }))
      : null,
    lines.length ? el("p", { class: "card-detail" }, lines.join(" · ")) : null,
    extra,
  ].filter(Boolean));
}

/** The cards of a run's steps and agents, kept in `container`. */
export function createCards(container) {
  const cards = new Map();

  function card(key, title, agent) {
    let entry = cards.get(key);
    if (!entry) {
      const node = el("article", { class: "card queued", "data-card": key, tabindex: "0" });
      entry = { node, title, agent, detail: {} };
      cards.set(key, entry);
      container.append(node);
    }
    if (agent) entry.agent = agent;
    return entry;
  }

  const STATUS = { queued: "Queued", running: "Running", complete: "Complete", error: "Error" };
  function set(entry, state, detail) {
    entry.detail = detail;
    entry.state = state;
    drawCard(entry.node, { title: entry.title, agent: entry.agent, state, status: STATUS[state], label: detail.label,
      percent: state === "running" ? detail.percent : undefined, lines: detail.lines });
  }

  function add(event) {
    const d = event.data ?? {};
    if (event.type.startsWith("step.")) {
      const entry = card(`step:${d.stepId}`, d.stepId, event.agent);
      switch (event.type) {
        case "step.queued": set(entry, "queued", { label: d.label }); break;
        case "step.started": set(entry, "running", { label: d.label, percent: 0 }); break;
        case "step.progress": set(entry, "running", { label: d.label ?? entry.detail.label, percent: d.percent }); break;
        case "step.completed":
          set(entry, "complete", { lines: [
            d.tokensUsed !== undefined ? `${d.tokensUsed.toLocaleString()} tokens` : null,
            d.artifactId ? `artifact ${d.artifactId}` : null].filter(Boolean) });
          break;
        case "step.failed": set(entry, "error", { lines: [`${d.code}: ${d.message}`] }); break;
      }
    } else if (event.type.startsWith("agent.") && event.type !== "agent.log" && event.agent) {
      const entry = card(`agent:${event.agent}`, event.agent, d.role);
      switch (event.type) {
        case "agent.started": set(entry, "running", { label: d.role }); break;
        case "agent.completed": set(entry, "complete", { lines: [d.summary, d.prUrl].filter(Boolean) }); break;
        case "agent.failed": set(entry, "error", { lines: [d.error, d.willRetry ? "will retry" : "will not retry"] }); break;
      }
    }
  }

  /** Steps whose last word is an error (a step retried to completion is not among them). */
  function failedSteps() {
    return [...cards.entries()].filter(([key, entry]) => key.startsWith("step:") && entry.state === "error")
      .map(([, entry]) => ({ id: entry.title, why: entry.detail.lines?.[0] }));
  }

  return { add, failedSteps };
}
