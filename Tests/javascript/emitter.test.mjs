// The emitter's promises (docs/producers.md), against the real binary.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createClient } from "../../Sources/HeraldServer/SDK/herald.js";
import { Proxy, createKey, freePort, sleep, startHerald, storedEvents, waitUntil, within } from "./support.mjs";

/** An onError that records instead of printing. */
function errors() {
  const seen = [];
  const onError = (error, info) => seen.push({ error, ...info });
  return { seen, onError };
}

test("scenario 1: emitter order across a server restart (SIGKILL mid-stream, same port): every event stored once, in order", async (t) => {
  const server = await startHerald(t);
  const { onError } = errors();
  const emitter = createClient({ baseUrl: server.url }).emitter({ agent: "w", maxBatchSize: 20, maxBackoffMs: 200, onError });
  const runs = ["order-a", "order-b", "order-c"];
  let i = 0;
  const emitSome = (count) => {
    for (const end = i + count; i < end; i++) emitter.emit("agent.log", { line: `l${i}`, i }, { run: runs[i % 3] });
  };
  emitSome(150);
  await waitUntil(() => emitter.stats.delivered >= 60, 10000, "some delivered");
  await server.stop("SIGKILL");
  emitSome(150);  // while the server is down
  await sleep(300);
  await server.start();  // the same port and data
  emitSome(150);
  const stats = await emitter.close();
  assert.deepEqual(stats, { emitted: 450, delivered: 450, dropped: 0, failed: 0, filtered: 0, pending: 0 });
  for (const [r, run] of runs.entries()) {
    const stored = await storedEvents(server.url, run);
    assert.deepEqual(stored.map((e) => e.data.i), Array.from({ length: 150 }, (_, k) => 3 * k + r), `${run} in emit order, once`);
    assert.deepEqual(stored.map((e) => e.seq), Array.from({ length: 150 }, (_, k) => k + 1));
  }
});

test("scenario 2: lost answers never duplicate (the same ids are retried)", async (t) => {
  const server = await startHerald(t);
  const proxy = await Proxy.start(t, server.port);
  proxy.drop = 3;
  const { seen, onError } = errors();
  const emitter = createClient({ baseUrl: proxy.url }).emitter({ run: "lossy", agent: "w", maxBatchSize: 10, onError });
  const ids = Array.from({ length: 50 }, (_, i) => emitter.emit("agent.log", { line: `l${i}` }));
  const stats = await emitter.close();
  assert.equal(proxy.dropped, 3);
  assert.equal(stats.delivered, 50);
  assert.equal(stats.failed, 0);
  const stored = await storedEvents(server.url, "lossy");
  assert.deepEqual(stored.map((e) => e.id), ids);
  assert.ok(seen.every((e) => !e.final), "lost answers are retried, not reported as final");
});

test("scenario 3: server down: emit never blocks, and close gives up at its timeout", async (t) => {
  const port = await freePort();
  const { seen, onError } = errors();
  const emitter = createClient({ baseUrl: `http://127.0.0.1:${port}` }).emitter({ run: "down", shutdownTimeoutMs: 500, onError });
  const started = performance.now();
  for (let i = 0; i < 2000; i++) emitter.emit("agent.log", { line: `l${i}` }, { agent: "w" });
  const emitting = performance.now() - started;
  assert.ok(emitting < 1000, `2,000 emits took ${emitting.toFixed(0)} ms`);  // generous: about 10 µs each
  assert.equal(await emitter.flush({ timeoutMs: 100 }), false, "a flush gives up at its own timeout");
  const closing = performance.now();
  const stats = await within(5000, emitter.close(), "close");
  const closed = performance.now() - closing;
  assert.ok(closed >= 450 && closed < 2500, `close took ${closed.toFixed(0)} ms with a 500 ms timeout`);
  assert.deepEqual(stats, { emitted: 2000, delivered: 0, dropped: 0, failed: 2000, filtered: 0, pending: 0 });
  assert.equal(emitter.emit("agent.log", { line: "late" }, { agent: "w" }), null, "a closed emitter drops");
  assert.equal(emitter.stats.dropped, 1);
  assert.ok(seen.some((e) => e.final && e.error.code === "gave_up"), "giving up is reported");
});

test("scenario 4: refusals are isolated: the refused event is counted and reported, the rest delivered in order", async (t) => {
  const server = await startHerald(t);
  const { seen, onError } = errors();
  const emitter = createClient({ baseUrl: server.url }).emitter({ run: "refusals", agent: "w", onError });
  emitter.emit("agent.log", { line: "before" });
  const bad = emitter.emit("decision", { reason: "no decisionType, no newValue" });
  emitter.emit("agent.log", { line: "after" });
  emitter.emit("run.completed");
  emitter.emit("agent.log", { line: "after the end" });  // the run is finished: refused (409)
  const stats = await emitter.close();
  assert.equal(stats.delivered, 3);
  assert.equal(stats.failed, 2);
  const stored = await storedEvents(server.url, "refusals");
  assert.deepEqual(stored.map((e) => e.data.line ?? e.type), ["before", "after", "run.completed"]);
  const refused = seen.filter((e) => e.final).flatMap((e) => e.ids);
  assert.equal(refused.length, 2);
  assert.ok(refused.includes(bad));
  assert.ok(seen.some((e) => e.error.details.some((d) => d.code === "finished" || d.field === "run")), "the 409 says why");
});

test("a batch larger than the server takes (413) is split", async (t) => {
  const server = await startHerald(t, ["--max-events-per-request", "7"]);
  const emitter = createClient({ baseUrl: server.url }).emitter({ run: "split", agent: "w", maxBatchSize: 50, lingerMs: 50 });
  for (let i = 0; i < 40; i++) emitter.emit("agent.log", { line: `l${i}` });
  const stats = await emitter.close();
  assert.equal(stats.delivered, 40);
  assert.deepEqual((await storedEvents(server.url, "split")).map((e) => e.data.line), Array.from({ length: 40 }, (_, i) => `l${i}`));
});

test("bad credentials are final and loud: 401 fails the batch at once, without retrying", async (t) => {
  let key;
  const server = await startHerald(t, [], { before: (s) => { key = createKey(s); } });
  const { seen, onError } = errors();
  const unauthorized = [];
  const client = createClient({ baseUrl: server.url, onUnauthorized: (error) => unauthorized.push(error) });
  const emitter = client.emitter({ run: "keys", agent: "w", onError });
  for (let i = 0; i < 5; i++) emitter.emit("agent.log", { line: `l${i}` });
  const stats = await within(3000, emitter.close(), "close");
  assert.equal(stats.failed, 5);
  assert.equal(seen.length, 1);
  assert.equal(seen[0].final, true);
  assert.equal(seen[0].error.status, 401);
  assert.equal(seen[0].ids.length, 5);
  assert.equal(unauthorized.length, 1);
  // With the key in the headers the same events go through.
  const keyed = createClient({ baseUrl: server.url, headers: () => ({ Authorization: `Bearer ${key}` }) }).emitter({ run: "keys", agent: "w" });
  keyed.emit("agent.log", { line: "with a key" });
  assert.equal((await keyed.close()).delivered, 1);
});

test("verbosity filters at the call; payloads are encoded at the call; unencodable payloads are counted, not thrown", async (t) => {
  const server = await startHerald(t);
  const { seen, onError } = errors();
  const emitter = createClient({ baseUrl: server.url }).emitter({ run: "calls", agent: "w", verbosity: "action", onError });
  assert.equal(emitter.emit("agent.log", { line: "detail level" }), null);
  assert.equal(emitter.emit("state", { variable: "x", newValue: 1 }), null);
  const payload = { line: "original" };
  const kept = emitter.emit("agent.log", payload, { level: "milestone" });
  payload.line = "changed after the call";
  const cyclic = { line: "x" };
  cyclic.self = cyclic;
  assert.equal(emitter.emit("agent.log", cyclic, { level: "milestone" }), null);
  assert.equal(emitter.emit("agent.log", { big: 1n }, { level: "milestone" }), null);
  assert.ok(emitter.emit("system.error", { errorType: "timeout", message: "system always passes" }));
  const cause = emitter.emit("decision", { decisionType: "route", newValue: "w1" }, { causedBy: [kept, null], turn: 3 });
  assert.equal(await emitter.flush(), true);
  const stats = await emitter.close();
  assert.deepEqual(stats, { emitted: 3, delivered: 3, dropped: 0, failed: 2, filtered: 2, pending: 0 });
  assert.equal(seen.filter((e) => e.final).length, 2);
  const stored = await storedEvents(server.url, "calls");
  assert.equal(stored[0].id, kept);
  assert.equal(stored[0].data.line, "original");
  assert.equal(stored.at(-1).id, cause);
  assert.deepEqual(stored.at(-1).causedBy, [kept]);
  assert.equal(stored.at(-1).turn, 3);
  assert.match(stored[0].time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
});

test("a full buffer drops at once and counts it; flush waits for what came before", async (t) => {
  const server = await startHerald(t);
  const emitter = createClient({ baseUrl: server.url }).emitter({ run: "full", agent: "w", bufferCapacity: 10, lingerMs: 20 });
  const answers = Array.from({ length: 15 }, (_, i) => emitter.emit("agent.log", { line: `l${i}` }));
  assert.equal(answers.filter(Boolean).length, 10);
  assert.equal(emitter.stats.dropped, 5);
  assert.equal(await emitter.flush(), true);
  assert.equal(emitter.stats.pending, 0);
  emitter.emit("agent.log", { line: "room again" });
  assert.equal((await emitter.close()).delivered, 11);
});

test("a client project is set on emitted events that name none", async (t) => {
  const server = await startHerald(t);
  const emitter = createClient({ baseUrl: server.url, project: "acme" }).emitter({ run: "projected", agent: "w" });
  emitter.emit("agent.log", { line: "acme" });
  await emitter.close();
  const [event] = await storedEvents(server.url, "projected");
  assert.equal(event.project, "acme");
});
