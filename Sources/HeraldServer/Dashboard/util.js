// Small helpers shared by the views.

/** The read key the reader entered for a Herald that requires one (kept for this tab only). */
export function authHeaders() {
  const key = sessionStorage.getItem("heraldKey");
  return key ? { Authorization: `Bearer ${key}` } : {};
}

/** Tells the app that the server wants a key (it then asks the reader for one). */
export function unauthorized() {
  window.dispatchEvent(new Event("herald-unauthorized"));
}

/** GET a JSON answer of the API, or throw an Error with the server's message. */
export async function getJSON(path) {
  const response = await fetch(path, { headers: { Accept: "application/json", ...authHeaders() } });
  if (response.status === 401) unauthorized();
  const text = await response.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch { /* not JSON: reported below */ }
  if (!response.ok) {
    const error = new Error(body?.error?.message ?? `HTTP ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return body;
}

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

/** "14:20:05" in local time. */
export function clock(iso) {
  return new Date(iso).toLocaleTimeString([], { hour12: false });
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

export const LEVELS = ["milestone", "decision", "action", "state", "detail"];

/** Whether an event of `level` reaches a reader at `verbosity` ("" = everything; system always). */
export function levelVisible(level, verbosity) {
  if (!verbosity || level === "system") return true;
  return LEVELS.indexOf(level) <= LEVELS.indexOf(verbosity);
}
