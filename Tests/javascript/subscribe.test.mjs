// Live subscriptions: resume, gaps, ends, filters, project streams, credentials, polling.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createClient } from "../../Sources/HeraldServer/SDK/herald.js";
import { Proxy, createKey, logs, post, recorder, sleep, startHerald, waitUntil, within } from "./support.mjs";

/** Fast reconnection for tests: the defaults (1 s … 30 s) are the product's, not the tests'. */
const FAST = { retryBaseMs: 100, maxBackoffMs: 500 };

test("scenario 5: a subscriber across a server restart gets every event exactly once, in order", async (t) => {
  const server = await startHerald(t);
  await post(server.url, logs("restart", 5));
  const seen = recorder();
  const stop = createClient({ baseUrl: server.url }).subscribe({ run: "restart", after: 0, ...FAST }, seen.handlers);
  t.after(stop);
  await waitUntil(() => seen.events.length === 5, 10000, "the first five");
  await server.stop("SIGKILL");
  await waitUntil(() => seen.statuses.at(-1) === "reconnecting", 5000, "reconnecting");
  await server.start();
  await post(server.url, logs("restart", 5, 5));
  await post(server.url, [{ run: "restart", type: "run.completed" }]);
  await within(15000, seen.ended, "the end");
  assert.deepEqual(seen.events.map((e) => e.seq), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  assert.deepEqual(seen.events.map((e) => e.streamId), seen.events.map((e) => String(e.seq)));
  assert.equal(seen.statuses[0], "connecting");
  assert.ok(seen.statuses.includes("live") && seen.statuses.includes("reconnecting"));
  assert.equal(seen.statuses.at(-1), "ended");
  assert.equal(stop.lastEventId, "11");
  assert.ok(seen.errors.every((e) => !e.final));
});

test("scenario 6: a resume point ahead of the run is told as a gap, and the stream continues where the run is", async (t) => {
  const server = await startHerald(t);
  await post(server.url, logs("ahead", 2));
  const seen = recorder();
  t.after(createClient({ baseUrl: server.url }).subscribe({ run: "ahead", after: 10 }, seen.handlers));
  await waitUntil(() => seen.gaps.length === 1, 10000, "the gap");
  assert.equal(seen.gaps[0].reason, "ahead");
  assert.equal(seen.gaps[0].requested, 10);
  assert.equal(seen.gaps[0].continuesAfter, 2);
  await post(server.url, [{ run: "ahead", type: "run.completed" }]);
  await within(10000, seen.ended, "the end");
  assert.deepEqual(seen.events.map((e) => e.seq), [3]);
});

test("scenario 7: a finished run resumed past its end answers 204: ended, no event, no error", async (t) => {
  const server = await startHerald(t);
  await post(server.url, [...logs("over", 2), { run: "over", type: "run.completed" }]);
  const seen = recorder();
  createClient({ baseUrl: server.url }).subscribe({ run: "over", after: 3 }, seen.handlers);
  await within(5000, seen.ended, "ended");
  assert.deepEqual(seen.statuses, ["connecting", "ended"]);
  assert.deepEqual(seen.events, []);
  assert.deepEqual(seen.errors, []);
});

test("scenario 8: filters (types, agents) apply to the stream, and the terminal event still arrives", async (t) => {
  const server = await startHerald(t);
  await post(server.url, [
    { run: "f", type: "agent.log", agent: "w1", data: { line: "1" } },
    { run: "f", type: "step.started", data: { stepId: "s" } },
    { run: "f", type: "agent.log", agent: "w2", data: { line: "2" } },
    { run: "f", type: "run.completed" },
  ]);
  const seen = recorder();
  createClient({ baseUrl: server.url }).subscribe({ run: "f", after: 0, types: ["agent.*"], agents: ["w2"] }, seen.handlers);
  await within(5000, seen.ended, "ended");
  assert.deepEqual(seen.events.map((e) => [e.type, e.agent ?? null]), [["agent.log", "w2"], ["run.completed", null]]);
});

test("scenario 9: a project stream with logs= gets the chosen runs' log lines, herald.connected, and resumes by position", async (t) => {
  const server = await startHerald(t);
  await post(server.url, [{ run: "before", type: "run.started" }]);
  const seen = recorder();
  const stop = createClient({ baseUrl: server.url }).subscribe({ project: "default", from: "now", logs: ["r1"] }, seen.handlers);
  t.after(stop);
  await waitUntil(() => seen.connected.length === 1, 10000, "herald.connected");
  assert.equal(seen.connected[0].project, "default");
  assert.deepEqual(seen.connected[0].activeRuns, ["before"]);
  assert.equal(stop.lastEventId, String(seen.connected[0].position), "from now: the position is the resume point");
  await post(server.url, [
    { run: "r1", type: "run.started" },
    { run: "r1", type: "agent.log", agent: "w", data: { line: "wanted" } },
    { run: "r2", type: "agent.log", agent: "w", data: { line: "not wanted" } },
    { run: "r2", type: "step.started", data: { stepId: "s" } },
    { run: "r1", type: "run.completed" },
  ]);
  await waitUntil(() => seen.events.length === 4, 10000, "four events");
  assert.deepEqual(seen.events.map((e) => [e.run, e.type]),
    [["r1", "run.started"], ["r1", "agent.log"], ["r2", "step.started"], ["r1", "run.completed"]]);
  assert.equal(stop.status, "live", "a project stream goes on after a run's end");
  assert.ok(Number(stop.lastEventId) > seen.connected[0].position);
});

test("headers are sent: Authorization opens a stream on a server with keys; without it 401 is final and reported", async (t) => {
  let key;
  const server = await startHerald(t, [], { before: (s) => { key = createKey(s); } });
  const unauthorized = [];
  const keyless = recorder();
  createClient({ baseUrl: server.url, onUnauthorized: (e) => unauthorized.push(e) }).subscribe({ run: "auth", after: 0, wait: true }, keyless.handlers);
  await within(5000, keyless.ended, "ended");
  assert.equal(keyless.errors.length, 1);
  assert.equal(keyless.errors[0].final, true);
  assert.equal(keyless.errors[0].error.status, 401);
  assert.equal(unauthorized.length, 1);
  const keyed = recorder();
  const client = createClient({ baseUrl: server.url, headers: async () => ({ Authorization: `Bearer ${key}` }) });
  client.subscribe({ run: "auth", after: 0, wait: true }, keyed.handlers);
  await client.publish([...logs("auth", 2), { run: "auth", type: "run.completed" }]);
  await within(10000, keyed.ended, "ended");
  assert.deepEqual(keyed.events.map((e) => e.seq), [1, 2, 3]);
  assert.deepEqual(keyed.errors, []);
});

test("a filter the server refuses (400) ends the subscription at once, reported as final", async (t) => {
  const server = await startHerald(t);
  await post(server.url, logs("r", 1));
  const refused = recorder();
  createClient({ baseUrl: server.url }).subscribe({ run: "r", level: "loud", ...FAST }, refused.handlers);
  await within(5000, refused.ended, "ended");
  assert.equal(refused.errors.length, 1);
  assert.equal(refused.errors[0].final, true);
  assert.equal(refused.errors[0].error.status, 400);
  assert.equal(refused.errors[0].error.code, "invalid_parameter");
});

test("a run that does not exist: 404 is final, unless waited for", async (t) => {
  const server = await startHerald(t);
  const missing = recorder();
  const client = createClient({ baseUrl: server.url });
  client.subscribe({ run: "later" }, missing.handlers);
  await within(5000, missing.ended, "ended");
  assert.equal(missing.errors[0].error.status, 404);
  assert.equal(missing.errors[0].error.code, "run_not_found");
  const waiting = recorder();
  client.subscribe({ run: "later", wait: true }, waiting.handlers);
  await waitUntil(() => waiting.statuses.includes("live"), 5000, "live");
  await post(server.url, [...logs("later", 1), { run: "later", type: "run.completed" }]);
  await within(10000, waiting.ended, "ended");
  assert.deepEqual(waiting.events.map((e) => e.type), ["agent.log", "run.completed"]);
});

test("polling fallback: a proxy that cuts streams but passes queries; polling, then back to the stream", async (t) => {
  const server = await startHerald(t);
  const proxy = await Proxy.start(t, server.port);
  proxy.cutStreams = true;
  await post(server.url, logs("poll", 3));
  const seen = recorder();
  const stop = createClient({ baseUrl: proxy.url }).subscribe(
    { run: "poll", after: 0, types: ["agent.log"], pollEveryMs: 100, probeEveryMs: 400, ...FAST }, seen.handlers);
  t.after(stop);
  await waitUntil(() => stop.status === "polling", 10000, "polling");
  assert.ok(proxy.streamsCut >= 3, "three failures before polling");
  await waitUntil(() => seen.events.length === 3, 5000, "the first three, polled");
  await post(server.url, [...logs("poll", 2, 3), { run: "poll", type: "step.started", data: { stepId: "filtered out" } }]);
  await waitUntil(() => seen.events.length === 5, 5000, "two more, polled");
  proxy.cutStreams = false;  // the next probe finds the stream again
  await waitUntil(() => stop.status === "live", 5000, "live again");
  await post(server.url, [...logs("poll", 1, 5), { run: "poll", type: "run.completed" }]);
  await within(10000, seen.ended, "ended");
  assert.deepEqual(seen.events.map((e) => e.seq), [1, 2, 3, 4, 5, 7, 8], "each once, in order, the end despite the filter");
  assert.deepEqual(seen.statuses.filter((s, i) => s !== seen.statuses[i - 1]).slice(0, 3), ["connecting", "reconnecting", "polling"]);
});

test("the run's end reaches a polling subscriber even when its filter excludes it", async (t) => {
  const server = await startHerald(t);
  const proxy = await Proxy.start(t, server.port);
  proxy.cutStreams = true;
  await post(server.url, [...logs("poll-end", 2), { run: "poll-end", type: "run.failed", data: { error: "boom" } }]);
  const seen = recorder();
  createClient({ baseUrl: proxy.url }).subscribe({ run: "poll-end", after: 0, types: ["step.*"], pollEveryMs: 100, ...FAST }, seen.handlers);
  await within(10000, seen.ended, "ended");
  assert.deepEqual(seen.events.map((e) => e.type), ["run.failed"]);
});

test("a silent connection is dropped after the read timeout and resumed", async (t) => {
  const server = await startHerald(t);
  const proxy = await Proxy.start(t, server.port);
  await post(server.url, logs("silent", 1));
  const seen = recorder();
  const stop = createClient({ baseUrl: proxy.url }).subscribe({ run: "silent", after: 0, readTimeoutMs: 500, ...FAST }, seen.handlers);
  t.after(stop);
  await waitUntil(() => seen.events.length === 1, 5000, "the first event");
  proxy.stallOpen();  // the open connection now swallows every byte, and no error says so
  await post(server.url, logs("silent", 1, 1));
  await waitUntil(() => seen.events.length === 2, 5000, "the second event, on a new connection");
  assert.deepEqual(seen.events.map((e) => e.seq), [1, 2]);
});

test("the async iterator yields events and gaps, ends at the run's end, and stops when its signal aborts", async (t) => {
  const server = await startHerald(t);
  const client = createClient({ baseUrl: server.url });
  await post(server.url, [...logs("iter", 3), { run: "iter", type: "run.completed" }]);
  const items = [];
  for await (const item of client.stream({ run: "iter", after: 0 })) items.push(item);
  assert.deepEqual(items.map((i) => [i.kind, i.event.seq, i.id]), [["event", 1, "1"], ["event", 2, "2"], ["event", 3, "3"], ["event", 4, "4"]]);

  await post(server.url, logs("iter-open", 20));
  const controller = new AbortController();
  const seqs = [];
  for await (const item of client.stream({ run: "iter-open", after: 0 }, { signal: controller.signal })) {
    seqs.push(item.event.seq);
    if (seqs.length === 5) controller.abort();
    await sleep(1);
  }
  assert.deepEqual(seqs, [1, 2, 3, 4, 5], "nothing after the abort");

  const gaps = [];
  const ahead = new AbortController();
  for await (const item of client.stream({ run: "iter-open", after: 99 }, { signal: ahead.signal })) {
    gaps.push(item);
    ahead.abort();
  }
  assert.equal(gaps[0].kind, "gap");
  assert.equal(gaps[0].gap.continuesAfter, 20);

  await assert.rejects(async () => { for await (const _ of client.stream({ run: "nobody" })) { /* nothing */ } },
    (error) => error.status === 404 && error.code === "run_not_found");
});

test("from now on a run stream: only what comes next, even across a reconnect before the first event", async (t) => {
  const server = await startHerald(t);
  await post(server.url, logs("now", 3));
  const seen = recorder();
  const stop = createClient({ baseUrl: server.url }).subscribe({ run: "now", from: "now", ...FAST }, seen.handlers);
  await waitUntil(() => stop.status === "live", 5000, "live");
  assert.equal(stop.lastEventId, "3");
  await server.restart("SIGKILL");
  await post(server.url, [...logs("now", 1, 3), { run: "now", type: "run.completed" }]);
  await within(15000, seen.ended, "ended");
  assert.deepEqual(seen.events.map((e) => e.seq), [4, 5]);
});
