// The SSE parser (WHATWG EventSource rules) and the ids, without a server.
import assert from "node:assert/strict";
import { test } from "node:test";
import { SSEParser, ulid } from "../../Sources/HeraldServer/SDK/herald.js";

/** Feeds `chunks` one by one; answers every message. */
function parse(...chunks) {
  const parser = new SSEParser();
  const messages = chunks.flatMap((chunk) => parser.feed(chunk));
  return { parser, messages };
}

test("SSE: named events, multi-line data, ids kept across messages, retry, comments", () => {
  const { parser, messages } = parse(
    "retry: 2000\n\n:heartbeat\n\nid: 1\nevent: agent.log\ndata: {\"a\":\ndata: 1}\n\ndata: no name, the id stays\n\nid\ndata:x\n\n");
  assert.deepEqual(messages, [
    { event: "agent.log", data: "{\"a\":\n1}", id: "1" },
    { event: "message", data: "no name, the id stays", id: "1" },
    { event: "message", data: "x", id: "" },
  ]);
  assert.equal(parser.retry, 2000);
  assert.equal(parser.comments, 1);
});

test("SSE: CR LF, lone CR and LF line ends, also split between chunks; a leading BOM is skipped", () => {
  const whole = "\ufeffid: 7\r\nevent: a\r\ndata: one\r\n\r\nid: 8\rdata: two\r\rdata: three\n\n";
  const expected = [{ event: "a", data: "one", id: "7" }, { event: "message", data: "two", id: "8" }, { event: "message", data: "three", id: "8" }];
  assert.deepEqual(parse(whole).messages, expected);
  for (let cut = 1; cut < whole.length; cut++) {
    assert.deepEqual(parse(whole.slice(0, cut), whole.slice(cut)).messages, expected, `cut at ${cut}`);
  }
  assert.deepEqual(parse(...whole).messages, expected, "one character at a time");
});

test("SSE: a block without data dispatches nothing; an id with NUL is ignored; unknown fields and bad retry are ignored", () => {
  const { parser, messages } = parse("event: lonely\n\nid: 3\0x\nretry: soon\nfoo: bar\ndata\n\n");
  assert.deepEqual(messages, [{ event: "message", data: "", id: null }]);
  assert.equal(parser.retry, null);
  assert.deepEqual(parse("data: unfinished").messages, [], "no blank line, no message");
});

test("ULIDs: 26 Crockford characters, time first, strictly increasing within a millisecond", () => {
  const made = Array.from({ length: 10000 }, () => ulid());
  for (const id of made) assert.match(id, /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/);
  for (let i = 1; i < made.length; i++) assert.ok(made[i - 1] < made[i], `${made[i - 1]} < ${made[i]}`);
  const decoded = [...made[0].slice(0, 10)].reduce((ms, c) => ms * 32 + "0123456789ABCDEFGHJKMNPQRSTVWXYZ".indexOf(c), 0);
  assert.ok(Math.abs(decoded - Date.now()) < 5000, "the time part is now");
});
