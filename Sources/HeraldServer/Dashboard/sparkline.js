// A run's event rate over its life, drawn small beside it on the board. No endpoint answers a
// rate series, and counting a long run's events by time is a scan: instead the times of a few
// events at evenly spaced seqs (one index seek each, `after=seq-1&limit=1`) give the run's
// cumulative count over time, and its slope per time bucket is the rate.
import { herald } from "./util.js";

const SAMPLES = 10;        // events read per run: SAMPLES + 1
const BUCKETS = 20;        // points of the line
const STALE_MS = 5000;     // a live run is sampled again at most this often
const MAX_CACHED = 1000;   // runs remembered (a finished run's line never changes)
const PARALLEL = 4;        // requests at once, however many rows ask

const cache = new Map();   // "project\nrun" → {lastSeq, at, values}
const waiting = [];
let running = 0;

/** Runs `task` when fewer than PARALLEL are running. */
function queued(task) {
  return new Promise((resolve, reject) => {
    waiting.push(() => task().then(resolve, reject).finally(() => { running -= 1; next(); }));
    next();
  });
}
function next() {
  while (running < PARALLEL && waiting.length) {
    running += 1;
    waiting.shift()();
  }
}

/** Events per bucket over the run's life (BUCKETS numbers), from its events' times at sampled seqs. */
export async function rates(run) {
  const key = `${run.project}\n${run.run}`;
  const known = cache.get(key);
  if (known && (known.lastSeq === run.lastSeq || Date.now() - known.at < STALE_MS)) return known.values;
  const seqs = [...new Set(Array.from({ length: SAMPLES + 1 }, (_, i) => 1 + Math.round((i * (run.lastSeq - 1)) / SAMPLES)))];
  const points = (await Promise.all(seqs.map((seq) => queued(() => herald.events(run.run, { project: run.project, after: seq - 1, limit: 1 })))))
    .map((page) => page.events[0]).filter(Boolean).map((e) => ({ time: Date.parse(e.time), seq: e.seq }))
    .sort((a, b) => a.time - b.time);
  const values = bucket(points);
  cache.delete(key);
  cache.set(key, { lastSeq: run.lastSeq, at: Date.now(), values });
  if (cache.size > MAX_CACHED) cache.delete(cache.keys().next().value);
  return values;
}

/** The count between bucket edges, read off the piecewise-linear cumulative count. */
function bucket(points) {
  if (points.length === 0) return new Array(BUCKETS).fill(0);
  const start = points[0].time, end = points.at(-1).time;
  if (end === start) return [points.at(-1).seq - points[0].seq + 1, ...new Array(BUCKETS - 1).fill(0)];
  const cumulative = (t) => {
    let i = 1;
    while (i < points.length - 1 && points[i].time < t) i += 1;
    const a = points[i - 1], b = points[i];
    return b.time === a.time ? b.seq : a.seq + ((b.seq - a.seq) * (t - a.time)) / (b.time - a.time);
  };
  const edges = Array.from({ length: BUCKETS + 1 }, (_, i) => cumulative(start + ((end - start) * i) / BUCKETS));
  // The first sampled event counts too: it is the run's first.
  return edges.slice(1).map((edge, i) => edge - edges[i] + (i === 0 ? 1 : 0));
}

/** A small SVG line of `values`, its numbers in `data-values` and its peak in the label. */
export function sparkline(values) {
  const SVG = "http://www.w3.org/2000/svg";
  const width = 80, height = 18, peak = Math.max(...values, 1);
  const svg = document.createElementNS(SVG, "svg");
  const points = values.map((v, i) => `${((i / (values.length - 1)) * width).toFixed(1)},${(height - 1 - (v / peak) * (height - 2)).toFixed(1)}`);
  for (const [name, value] of Object.entries({ class: "sparkline", width, height, viewBox: `0 0 ${width} ${height}`, role: "img",
    "aria-label": `Event rate over the run's life, peak ${Math.round(peak)} events per twentieth`, "data-values": values.map((v) => v.toFixed(1)).join(",") })) {
    svg.setAttribute(name, value);
  }
  const line = document.createElementNS(SVG, "polyline");
  line.setAttribute("points", points.join(" "));
  svg.append(line);
  return svg;
}
