// Small helpers shared by the views, and the client they share.
import { createClient, LEVELS } from "/sdk/herald.js";

export { LEVELS };

/**
 * The dashboard's client: every request and stream goes through Herald's JavaScript module,
 * the one pages and Node programs use. The read key the reader entered for a Herald that
 * requires one (kept for this tab only) goes in the Authorization header; a 401 tells the app,
 * which asks for a key.
 */
export const herald = createClient({
  headers: () => {
    const key = sessionStorage.getItem("heraldKey");
    return key ? { Authorization: `Bearer ${key}` } : {};
  },
  onUnauthorized: () => window.dispatchEvent(new Event("herald-unauthorized")),
});

/** An element with attributes and children: el("div", {class: "x"}, "text", child). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;  // absent (note: "" is a value)
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** "1h 02m", "3m 04s", "12.3s" */
export function duration(milliseconds) {
  const seconds = Math.max(0, milliseconds) / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const s = Math.floor(seconds % 60), m = Math.floor(seconds / 60) % 60, h = Math.floor(seconds / 3600);
  return h > 0 ? `${h}h ${String(m).padStart(2, "0")}m` : `${m}m ${String(s).padStart(2, "0")}s`;
}

// One formatter for every time shown: toLocaleTimeString makes a new one per call, which costs
// more than drawing the timeline's bars.
const CLOCK = new Intl.DateTimeFormat([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });

/** "14:20:05" in local time, of an ISO string, a Date or epoch milliseconds. */
export function clock(time) {
  return CLOCK.format(new Date(time));
}

/** Calls `fn` at most once per `wait` ms, at the end of a burst. */
export function debounce(fn, wait) {
  let timer = null;
  const debounced = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), wait);
  };
  debounced.cancel = () => clearTimeout(timer);
  return debounced;
}

/** Whether a type matches a pattern list such as "agent.*, decision" (empty: everything). */
export function typeMatches(type, patterns) {
  if (patterns.length === 0) return true;
  return patterns.some((p) => p === "*" || (p.endsWith(".*") ? type.startsWith(p.slice(0, -1)) : type === p));
}

/** Whether an event of `level` reaches a reader at `verbosity` ("" = everything; system always). */
export function levelVisible(level, verbosity) {
  if (!verbosity || level === "system") return true;
  return LEVELS.indexOf(level) <= LEVELS.indexOf(verbosity);
}

/** Puts `text` on the clipboard (a hidden text area where the Clipboard API is refused) and
 * keeps it in `window.herald.copied` for the browser tests. */
export async function copyText(text) {
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
}
