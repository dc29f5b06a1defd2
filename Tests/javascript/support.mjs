// What the JavaScript client's tests share: the real `herald` binary on a random loopback port
// (stopped with SIGTERM or SIGKILL and started again on the same port and data), a TCP proxy
// that loses answers, cuts streams or stalls them, and small helpers. No mock of Herald.
//
// HERALD_BIN names the binary (default: the repository's .build/debug/herald).
import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, statSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const HERALD_BIN = process.env.HERALD_BIN || join(ROOT, ".build/debug/herald");
export const SDK = join(ROOT, "Sources/HeraldServer/SDK");

if (!existsSync(HERALD_BIN)) {
  throw new Error(`no herald binary at ${HERALD_BIN}: build it (swift build) or set HERALD_BIN`);
}

/** One `herald serve` child: start, stop (TERM or KILL) and start again on the same port and data. */
export class Herald {
  port = 0;
  process = null;

  constructor(data, args = []) {
    this.data = data;
    this.args = args;
    this.log = `${data}.log`;
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  async start() {
    const offset = existsSync(this.log) ? statSync(this.log).size : 0;
    const log = openSync(this.log, "a");
    this.process = spawn(HERALD_BIN, ["serve", "--port", String(this.port), "--data", this.data, "--log-level", "info", ...this.args],
      { stdio: ["ignore", log, log] });
    closeSync(log);
    const child = this.process;
    const deadline = Date.now() + 30000;
    while (Date.now() < deadline) {
      const text = readFileSync(this.log, "utf8").slice(offset);
      const found = /listening on 127\.0\.0\.1:(\d+)/.exec(text);
      if (found) {
        this.port = Number(found[1]);
        return this;
      }
      if (child.exitCode !== null) throw new Error(`herald serve exited ${child.exitCode}:\n${text}`);
      await sleep(20);
    }
    throw new Error("herald serve did not start in 30 s");
  }

  async stop(signal = "SIGTERM") {
    const child = this.process;
    this.process = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((done) => child.once("exit", done));
    child.kill(signal);
    await exited;
  }

  async restart(signal = "SIGTERM") {
    await this.stop(signal);
    await this.start();
  }

  /** Runs a `herald` command on this server's data folder (`keys create …`); answers its stdout. */
  cli(...args) {
    return execFileSync(HERALD_BIN, args, {
      env: { ...process.env, HERALD_URL: this.url, HERALD_DATA: this.data }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  }
}

/**
 * Starts a server for test `t` (stopped with SIGKILL when the test ends), with `args` for
 * `herald serve`. `before(server)` runs on its data folder before it starts (keys).
 */
export async function startHerald(t, args = [], { before } = {}) {
  const folder = mkdtempSync(join(tmpdir(), "herald-js-"));
  const server = new Herald(join(folder, "data"), args);
  t.after(async () => {
    await server.stop("SIGKILL");
    rmSync(folder, { recursive: true, force: true });
  });
  before?.(server);
  return server.start();
}

/** Creates an API key in the server's data folder; answers the key. */
export function createKey(server, { project = "default", role = "publish" } = {}) {
  return server.cli("keys", "create", "--data", server.data, "--project", project, "--role", role).split("\n")[0].trim();
}

/**
 * A TCP proxy in front of a server. While `drop` > 0 it closes the client's connection as soon
 * as the server's answer starts (the request was served, the answer is lost). With `cutStreams`
 * it answers every stream request with 502 (a proxy that will not hold a stream open) and lets
 * queries through. `stallOpen()` makes the connections open now swallow the server's bytes (a
 * dead connection that no error reports).
 */
export class Proxy {
  drop = 0;
  dropped = 0;
  cutStreams = false;
  streamsCut = 0;
  #server;
  #connections = new Set();

  static async start(t, upstreamPort) {
    const proxy = new Proxy(upstreamPort);
    await new Promise((done) => proxy.#server.listen(0, "127.0.0.1", done));
    t.after(() => proxy.close());
    return proxy;
  }

  constructor(upstreamPort) {
    this.#server = net.createServer((client) => this.#pump(client, upstreamPort));
  }

  get url() {
    return `http://127.0.0.1:${this.#server.address().port}`;
  }

  #pump(client, upstreamPort) {
    const upstream = net.connect(upstreamPort, "127.0.0.1");
    const connection = { client, upstream, stalled: false };
    this.#connections.add(connection);
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.#connections.delete(connection);
    };
    client.on("data", (chunk) => {
      const requestLine = chunk.toString("latin1", 0, Math.min(chunk.length, 2048)).split("\r\n")[0];
      if (this.cutStreams && /^GET \S*\/stream/.test(requestLine)) {
        this.streamsCut += 1;
        client.end("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        upstream.destroy();
        return;
      }
      upstream.write(chunk);
    });
    upstream.on("data", (chunk) => {
      if (connection.stalled) return;
      if (this.drop > 0) {
        this.drop -= 1;
        this.dropped += 1;
        return close();
      }
      client.write(chunk);
    });
    client.on("error", close).on("close", close);
    upstream.on("error", close).on("close", close);
  }

  stallOpen() {
    for (const connection of this.#connections) connection.stalled = true;
  }

  close() {
    for (const { client, upstream } of this.#connections) {
      client.destroy();
      upstream.destroy();
    }
    this.#server.close();
  }
}

/** A port nobody listens on (bound, then released). */
export async function freePort() {
  const server = net.createServer();
  await new Promise((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address();
  await new Promise((done) => server.close(done));
  return port;
}

export const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

/** Polls `predicate` until it is truthy; fails after `timeoutMs`. */
export async function waitUntil(predicate, timeoutMs = 20000, what = "condition") {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what} not met in ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** Posts events with plain fetch (not the client under test); answers the ingest JSON. */
export async function post(url, events, headers = {}) {
  const response = await fetch(`${url}/v1/events`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify(events),
  });
  const body = await response.json();
  if (!response.ok) throw new Error(`POST /v1/events: ${response.status} ${JSON.stringify(body)}`);
  return body;
}

/** `count` agent.log events of `run`, numbered from `start`. */
export function logs(run, count, start = 0) {
  return Array.from({ length: count }, (_, i) => ({ run, type: "agent.log", agent: "w", data: { line: `l${start + i}` } }));
}

/** Every stored event of a run, with plain fetch. */
export async function storedEvents(url, run, headers = {}) {
  const response = await fetch(`${url}/v1/runs/${encodeURIComponent(run)}/events?limit=10000`, { headers });
  if (!response.ok) throw new Error(`GET events of ${run}: ${response.status}`);
  return (await response.json()).events;
}

/** Collects a subscription's calls; `ended` resolves when its status becomes "ended". */
export function recorder() {
  const seen = { events: [], gaps: [], connected: [], statuses: [], errors: [] };
  let ended;
  seen.ended = new Promise((done) => { ended = done; });
  seen.handlers = {
    onEvent: (event, id) => { seen.events.push({ ...event, streamId: id }); },
    onGap: (gap) => { seen.gaps.push(gap); },
    onConnected: (connected) => { seen.connected.push(connected); },
    onStatus: (status) => { seen.statuses.push(status); if (status === "ended") ended(); },
    onError: (error, info) => { seen.errors.push({ error, ...info }); },
  };
  return seen;
}

/** Fails when `promise` does not settle in `ms`. */
export function within(ms, promise, what = "promise") {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, fail) => { timer = setTimeout(() => fail(new Error(`${what} did not settle in ${ms} ms`)), ms); }),
  ]);
}
