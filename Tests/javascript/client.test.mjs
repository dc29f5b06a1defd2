// Queries, publish, errors, credentials, projects, stream URLs and the served module.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { HeraldError, createClient } from "../../Sources/HeraldServer/SDK/herald.js";
import { Proxy, SDK, createKey, freePort, logs, post, startHerald, storedEvents } from "./support.mjs";

test("queries answer the server's JSON: runs, run, events with filters and paging, event, causality, access", async (t) => {
  const server = await startHerald(t);
  const herald = createClient({ baseUrl: `${server.url}/` });
  const answer = await herald.publish([
    { run: "q", type: "run.started", data: { name: "Query run" } },
    { run: "q", type: "agent.log", agent: "w1", data: { line: "a" } },
    { run: "q", type: "agent.log", agent: "w2", data: { line: "b" } },
  ]);
  assert.equal(answer.accepted, 3);
  const first = answer.events[0].id;
  await herald.publish([{ run: "q", type: "decision", agent: "w1", causedBy: [first], data: { decisionType: "d", newValue: 1 } }]);
  const runs = await herald.runs();
  assert.deepEqual(runs.runs.map((r) => r.run), ["q"]);
  assert.equal(runs.nextCursor, null);
  assert.deepEqual((await herald.runs({ status: "active", limit: 1 })).runs.map((r) => r.run), ["q"]);
  assert.equal((await herald.run("q")).name, "Query run");
  const page = await herald.events("q", { types: ["agent.*"], limit: 1 });
  assert.equal(page.total, 2);
  assert.equal(page.hasMore, true);
  assert.deepEqual(page.events[0].data, { line: "a" });
  assert.deepEqual((await herald.events("q", { agents: ["w2"] })).events.map((e) => e.agent), ["w2"]);
  assert.deepEqual((await herald.events("q", { after: 2, before: 4 })).events.map((e) => e.seq), [3]);
  await assert.rejects(herald.events("q", { offset: 2 }), TypeError, "a filter the API does not have is the caller's mistake");
  assert.equal((await herald.event("q", first)).type, "run.started");
  const causality = await herald.causality("q", first);
  assert.deepEqual(causality.downstream.map((e) => e.type), ["decision"]);
  const access = await herald.access();
  assert.equal(access.authentication, false);
});

test("GET /v1/projects lists the projects with their runs", async (t) => {
  const server = await startHerald(t);
  const herald = createClient({ baseUrl: server.url });
  await post(server.url, [{ run: "p1", type: "run.started" }]);
  const answer = await herald.projects();
  const project = answer.projects.find((p) => p.project === "default");
  assert.equal(project.runs, 1);
  assert.equal(project.activeRuns, 1);
});

test("HeraldError carries status, code, message, details and retryAfter; no answer is status 0", async (t) => {
  const server = await startHerald(t, ["--rate-limit", "1", "--rate-burst", "1"]);
  const herald = createClient({ baseUrl: server.url });
  await assert.rejects(herald.run("nobody"), (error) => {
    assert.ok(error instanceof HeraldError);
    assert.equal(error.status, 404);
    assert.equal(error.code, "run_not_found");
    assert.match(error.message, /nobody/);
    return true;
  });
  await assert.rejects(herald.publish([{ run: "e", type: "agent.log", agent: "w", data: { line: "ok" } }, { run: "e", type: "decision", data: { newValue: 1 } }]),
    (error) => {
      assert.equal(error.status, 422);
      assert.equal(error.code, "validation_failed");
      assert.ok(new Set(error.details.map((d) => d.field)).has("data.decisionType"));
      assert.ok(error.details.every((d) => d.index === 1), "details name the refused event by index");
      assert.equal(error.transient, false);
      return true;
    });
  await herald.publish(logs("limited", 1));
  await assert.rejects(herald.publish(logs("limited", 1), { retryForMs: 0 }), (error) => {
    assert.equal(error.status, 429);
    assert.ok(error.retryAfter > 0, `retryAfter ${error.retryAfter}`);
    assert.equal(error.transient, true);
    return true;
  });
  const down = createClient({ baseUrl: `http://127.0.0.1:${await freePort()}` });
  await assert.rejects(down.runs(), (error) => error.status === 0 && error.code === "unreachable" && error.transient);
});

test("a headers option that throws is reported as such; a bug in it is final, not retried as unreachable", async (t) => {
  const server = await startHerald(t);
  await post(server.url, logs("r", 1));
  // eslint-disable-next-line no-undef
  const buggy = createClient({ baseUrl: server.url, headers: () => ({ Authorization: `Bearer ${getKey()}` }) });
  await assert.rejects(buggy.runs(), (error) => error.code === "headers_failed" && !error.transient && /getKey/.test(error.message));
  const errors = [];
  let ended;
  const done = new Promise((resolve) => { ended = resolve; });
  buggy.subscribe({ run: "r", after: 0 }, {
    onError: (error, info) => errors.push({ code: error.code, final: info.final }),
    onStatus: (status) => { if (status === "ended") ended(); },
  });
  await done;
  assert.deepEqual(errors, [{ code: "headers_failed", final: true }]);
  // A token endpoint that fails for a while is retried: only programming errors are final.
  const flaky = createClient({ baseUrl: server.url, headers: async () => { throw new Error("token service down"); } });
  await assert.rejects(flaky.runs(), (error) => error.code === "headers_failed" && error.transient);
});

test("publish retries a lost answer with the same ids: stored once", async (t) => {
  const server = await startHerald(t);
  const proxy = await Proxy.start(t, server.port);
  proxy.drop = 2;
  const herald = createClient({ baseUrl: proxy.url });
  const answer = await herald.publish(logs("retried", 3));
  assert.equal(proxy.dropped, 2);
  assert.equal(answer.duplicates, 3, "the answer of the last try: the first stored them");
  const stored = await storedEvents(server.url, "retried");
  assert.deepEqual(stored.map((e) => e.id), answer.events.map((e) => e.id));
  assert.equal(stored.length, 3);
});

test("publish with partial stores the valid events and names the others", async (t) => {
  const server = await startHerald(t);
  const answer = await createClient({ baseUrl: server.url }).publish(
    [...logs("partial", 1), { run: "partial", type: "decision" }, ...logs("partial", 1, 1)], { partial: true });
  assert.equal(answer.accepted, 2);
  assert.deepEqual(answer.rejected.map((r) => r.index), [1]);
});

test("a server with keys: 401 without a key (onUnauthorized told), the key in headers works", async (t) => {
  let key;
  const server = await startHerald(t, [], { before: (s) => { key = createKey(s, { role: "read" }); } });
  const told = [];
  const keyless = createClient({ baseUrl: server.url, onUnauthorized: (error) => told.push(error.code) });
  await assert.rejects(keyless.runs(), (error) => error.status === 401 && error.code === "unauthorized");
  assert.deepEqual(told, ["unauthorized"]);
  const wrong = createClient({ baseUrl: server.url, headers: { Authorization: "Bearer hk_nope_nope" } });
  await assert.rejects(wrong.access(), (error) => error.status === 401);
  const keyed = createClient({ baseUrl: server.url, headers: () => ({ Authorization: `Bearer ${key}` }) });
  const access = await keyed.access();
  assert.equal(access.role, "read");
  assert.deepEqual((await keyed.runs()).runs, []);
  await assert.rejects(keyed.publish(logs("r", 1)), (error) => error.status === 403 && error.code === "forbidden");
});

test("a client's project names the run on run routes and is set on published events", async (t) => {
  const server = await startHerald(t);
  const acme = createClient({ baseUrl: server.url, project: "acme" });
  await acme.publish([...logs("shared-name", 1), { run: "shared-name", type: "run.completed" }]);
  assert.equal((await acme.run("shared-name")).project, "acme");
  assert.deepEqual((await acme.runs()).runs.map((r) => r.run), ["shared-name"]);
  const other = createClient({ baseUrl: server.url, project: "other" });
  await assert.rejects(other.run("shared-name"), (error) => error.status === 404);
  assert.deepEqual((await other.runs()).runs, []);
  const items = [];
  for await (const item of acme.stream({ run: "shared-name", after: 0 })) items.push(item.event.type);
  assert.deepEqual(items, ["agent.log", "run.completed"]);
});

test("streamURL builds a URL for a plain EventSource (filters, resume, frames, access token)", async (t) => {
  const herald = createClient({ baseUrl: "http://h:1" });
  assert.equal(herald.streamURL({ run: "r 1", after: 3, types: ["agent.*", "decision"], frames: "message", accessToken: "k" }),
    "http://h:1/v1/runs/r%201/stream?types=agent.*,decision&after=3&frames=message&access_token=k");
  assert.equal(herald.streamURL({ project: "p", from: "now", logs: ["r1", "r2"] }), "http://h:1/v1/projects/p/stream?from=now&logs=r1,r2");
  assert.equal(createClient({ project: "acme" }).streamURL({ run: "r", wait: true }), "/v1/runs/r/stream?project=acme&wait=1");
  assert.throws(() => herald.streamURL({}), TypeError);

  // The server reads it: frames without an event: line, the type in the JSON.
  const server = await startHerald(t);
  await post(server.url, [...logs("plain", 1), { run: "plain", type: "run.completed" }]);
  const response = await fetch(createClient({ baseUrl: server.url }).streamURL({ run: "plain", after: 0, frames: "message" }));
  const text = await response.text();
  assert.equal(response.status, 200, text);
  assert.doesNotMatch(text, /^event:/m);
  assert.match(text, /^data: .*"type":"run.completed"/m);
});

test("GET /sdk/herald.js and /sdk/herald.d.ts serve the source files", async (t) => {
  const server = await startHerald(t);
  for (const name of ["herald.js", "herald.d.ts"]) {
    const response = await fetch(`${server.url}/sdk/${name}`);
    assert.equal(response.status, 200);
    // The binary serves the copy its build made: after editing the file, rebuild (swift build).
    assert.ok(await response.text() === readFileSync(join(SDK, name), "utf8"), `${name} as served differs from the source: rebuild herald`);
    if (name === "herald.js") assert.match(response.headers.get("content-type"), /javascript/);
  }
});
