// Stream tickets: a subscriber without a key whose `ticket` option hands it a ticket before each
// connection; `streamTicket()` and `streamURL({ticket})` for pages that hold a key.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createClient } from "../../Sources/HeraldServer/SDK/herald.js";
import { createKey, logs, recorder, startHerald, waitUntil, within } from "./support.mjs";

const FAST = { retryBaseMs: 100, maxBackoffMs: 500 };

test("tickets: a keyless subscriber with a ticket callback streams through a ticket's expiry and a server restart, every event once", async (t) => {
  let read;
  let write;
  const server = await startHerald(t, ["--stream-ticket-ttl", "1", "--no-query-keys"], {
    before: (s) => { read = createKey(s, { role: "read" }); write = createKey(s, { role: "publish" }); },
  });
  // The app's server holds the key and hands out tickets; the page holds none.
  const issuer = createClient({ baseUrl: server.url, headers: { Authorization: `Bearer ${read}` } });
  const publisher = createClient({ baseUrl: server.url, headers: { Authorization: `Bearer ${write}` } });
  const unauthorized = [];
  const viewer = createClient({ baseUrl: server.url, onUnauthorized: (error) => unauthorized.push(error) });

  // A callback that keeps its ticket until the stream refuses it: the client must recover from
  // the refusal of an expired one (a callback that fetches every time never meets it).
  const calls = [];
  let held = null;
  const ticket = async ({ run, project, refused }) => {
    calls.push(refused ? `refused: ${refused.code}` : held ? "held" : "first");
    if (!held || refused) held = await issuer.streamTicket({ run, project });
    return held.ticket;
  };
  await publisher.publish(logs("tk", 5));
  const seen = recorder();
  const stop = viewer.subscribe({ run: "tk", after: 0, ticket, ...FAST }, seen.handlers);
  t.after(stop);
  await waitUntil(() => seen.events.length === 5, 10000, "the first five");
  assert.equal(held.run, "tk");
  assert.equal(held.project, "default");

  // The ticket expires; the stream it opened goes on.
  const expiry = Date.parse(held.expiresAt);
  await waitUntil(() => Date.now() > expiry, 5000, "the ticket's expiry");
  await publisher.publish(logs("tk", 3, 5));
  await waitUntil(() => seen.events.length === 8, 10000, "events after the ticket expired");
  assert.equal(stop.status, "live");

  // A restart: the reconnect offers the expired ticket, is refused, and asks for a fresh one.
  await server.stop("SIGKILL");
  await waitUntil(() => seen.statuses.at(-1) === "reconnecting", 5000, "reconnecting");
  await server.start();
  await publisher.publish([...logs("tk", 5, 8), { run: "tk", type: "run.completed" }]);
  await within(20000, seen.ended, "the end");

  assert.deepEqual(seen.events.map((e) => e.seq), Array.from({ length: 14 }, (_, i) => i + 1));
  assert.equal(calls[0], "first");
  assert.ok(calls.includes("held"), calls.join(", "));
  assert.equal(calls.filter((c) => c === "refused: invalid_ticket").length, 1, calls.join(", "));
  assert.match(seen.errors.find((e) => e.error.code === "invalid_ticket").error.message, /expired/);
  assert.ok(seen.errors.every((e) => !e.final), seen.errors.map((e) => e.error.message).join("; "));
  assert.deepEqual(unauthorized, [], "a refused ticket is not a missing key");
});

test("a ticket callback that fails for good (its key refused, no ticket) ends the subscription; a passing failure is retried", async (t) => {
  const server = await startHerald(t, [], { before: (s) => { createKey(s, { role: "read" }); } });
  const impostor = createClient({ baseUrl: server.url, headers: { Authorization: "Bearer hk_aaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" } });
  const viewer = createClient({ baseUrl: server.url });

  const refused = recorder();
  viewer.subscribe({ run: "x", wait: true, ticket: async () => (await impostor.streamTicket({ run: "x" })).ticket, ...FAST },
    refused.handlers);
  await within(5000, refused.ended, "ended");
  assert.equal(refused.errors.length, 1);
  assert.equal(refused.errors[0].final, true);
  assert.equal(refused.errors[0].error.code, "invalid_token");

  const empty = recorder();
  viewer.subscribe({ run: "x", wait: true, ticket: () => "", ...FAST }, empty.handlers);
  await within(5000, empty.ended, "ended");
  assert.equal(empty.errors[0].error.code, "ticket_failed");
  assert.equal(empty.errors[0].final, true);

  // A backend that is down for a moment (a rejected fetch) is retried, not final.
  let attempts = 0;
  const flaky = recorder();
  const stop = viewer.subscribe({ run: "x", wait: true, ...FAST, ticket: async () => {
    attempts += 1;
    throw new Error("the app's ticket endpoint is down");
  } }, flaky.handlers);
  await waitUntil(() => attempts >= 3, 5000, "three attempts");
  stop();
  assert.ok(flaky.errors.every((e) => !e.final && e.error.code === "ticket_failed"));
  assert.throws(() => viewer.subscribe({ run: "x", ticket: "ht_not_a_function" }), TypeError);
});

test("streamTicket() binds filters, and streamURL({ticket}) builds the URL a plain EventSource opens", async (t) => {
  let read;
  const server = await startHerald(t, [], { before: (s) => { read = createKey(s, { role: "read" }); createKey(s, { role: "publish" }); } });
  const keyed = createClient({ baseUrl: server.url, headers: { Authorization: `Bearer ${read}` } });
  const issued = await keyed.streamTicket({ project: "default", logs: "all", types: ["run.*", "agent.log"] });
  assert.match(issued.ticket, /^ht_[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  assert.equal(issued.streamURL, `/v1/projects/default/stream?logs=all&types=run.*,agent.log&ticket=${issued.ticket}`);
  const url = keyed.streamURL({ project: "default", logs: "all", types: ["agent.log", "run.*"], frames: "message", ticket: issued.ticket });
  assert.ok(url.startsWith(server.url + "/v1/projects/default/stream?"), url);
  const controller = new AbortController();
  const response = await fetch(url, { signal: controller.signal });   // no header: the ticket is the credential
  assert.equal(response.status, 200);
  controller.abort();
  // Its filters are bound: asked for more, refused.
  const wider = await fetch(keyed.streamURL({ project: "default", logs: "all", ticket: issued.ticket }));
  assert.equal(wider.status, 401);
  assert.equal((await wider.json()).error.code, "invalid_ticket");
  assert.throws(() => keyed.streamTicket({}), TypeError);
});
