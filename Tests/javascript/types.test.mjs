// herald.d.ts and the module's vocabulary against the binary's own (`herald vocabulary --json`).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { defaultLevel, isBuiltIn } from "../../Sources/HeraldServer/SDK/herald.js";
import { HERALD_BIN, SDK } from "./support.mjs";

const vocabulary = JSON.parse(execFileSync(HERALD_BIN, ["vocabulary", "--json"], { encoding: "utf8" }));
const declarations = readFileSync(join(SDK, "herald.d.ts"), "utf8");

/** The `EventDataMap` interface of herald.d.ts: each type's data fields, as written there. */
function declaredTypes() {
  const body = /export interface EventDataMap \{([\s\S]*?)\n\}/.exec(declarations)?.[1];
  assert.ok(body, "herald.d.ts declares EventDataMap");
  const types = new Map();
  for (const [, type, fields] of body.matchAll(/^\s*"([^"]+)": \{(.*)\};$/gm)) {
    types.set(type, new Map([...fields.matchAll(/(\w+)(\?)?: /g)].map(([, name, optional]) => [name, !optional])));
  }
  return types;
}

test("herald.d.ts declares every built-in type of the binary's vocabulary, with its data fields", () => {
  const declared = declaredTypes();
  const missing = vocabulary.types.map((rule) => rule.type).filter((type) => !declared.has(type));
  assert.deepEqual(missing, [], "built-in types missing from herald.d.ts");
  for (const rule of vocabulary.types) {
    const fields = declared.get(rule.type);
    for (const field of rule.fields) {
      assert.equal(fields.get(field.name), field.required, `${rule.type}: data.${field.name} (${field.required ? "required" : "optional"})`);
    }
  }
  const unknown = [...declared.keys()].filter((type) => !vocabulary.types.some((rule) => rule.type === type));
  assert.deepEqual(unknown, [], "types in herald.d.ts the server does not know");
});

test("the module's default levels and built-in types are the binary's", () => {
  for (const rule of vocabulary.types) {
    assert.equal(defaultLevel(rule.type), rule.level, rule.type);
    assert.ok(isBuiltIn({ type: rule.type }), rule.type);
  }
  assert.equal(defaultLevel("my.custom"), "action");
  assert.equal(defaultLevel("system.disk_full"), "system");
  assert.equal(isBuiltIn({ type: "my.custom" }), false);
});

test("herald.d.ts type-checks, and narrows a built-in event's data by its type (tsc, when installed)", (t) => {
  let tsc;
  try {
    tsc = execFileSync("sh", ["-c", "command -v tsc"], { encoding: "utf8" }).trim();
  } catch {
    return t.skip("no tsc on this machine (Debian: node-typescript; Tests/javascript/run.sh installs it)");
  }
  const folder = mkdtempSync(join(tmpdir(), "herald-dts-"));
  t.after(() => rmSync(folder, { recursive: true, force: true }));
  copyFileSync(join(SDK, "herald.d.ts"), join(folder, "herald.d.ts"));
  writeFileSync(join(folder, "use.ts"), `
import { createClient, isBuiltIn, HeraldError, type HeraldEvent, type Status } from "./herald";
const herald = createClient({ baseUrl: "", headers: () => ({ Authorization: "Bearer k" }), project: "p" });
async function main(): Promise<void> {
  const page = await herald.runs({ status: "active", limit: 10 });
  const seq: number = page.runs[0].lastSeq;
  const stop = herald.subscribe({ run: "r1", after: seq, types: ["step.*"], wait: true }, {
    onEvent(event: HeraldEvent, id: string | null) {
      if (!isBuiltIn(event)) return;
      switch (event.type) {
        case "step.progress": { const percent: number = event.data.percent; break; }
        case "agent.log": { const line: string = event.data.line; break; }
        case "run.failed": { const error: string = event.data.error; break; }
      }
    },
    onStatus(status: Status) {},
    onError(error: HeraldError, { final }) { if (final && error.status === 401) stop(); },
  });
  const resume: string | null = stop.lastEventId;
  for await (const item of herald.stream({ project: "p", from: "now", logs: "all" })) {
    if (item.kind === "event") item.event.run;
    else if (item.kind === "gap") item.gap.continuesAfter;
    else item.connected.activeRuns;
  }
  const emitter = herald.emitter({ run: "r1", agent: "planner", verbosity: "decision" });
  const plan = emitter.emit("decision", { decisionType: "plan", newValue: ["a"] });
  emitter.emit("step.progress", { stepId: "s", percent: 40 }, { causedBy: [plan] });
  emitter.emit("my.custom.thing", { anything: [1, 2] });
  const stats = await emitter.close();
  stats.failed + stats.delivered;
  try { await herald.publish([{ run: "r", type: "agent.log", data: { line: "x" } }], { partial: true }); }
  catch (error) { if (error instanceof HeraldError) error.details[0]?.index; }
  herald.streamURL({ run: "r1", frames: "message", accessToken: "k" });
}
main();
// @ts-expect-error: agent.log data has no "percent" of type string
const wrong: string = ({} as import("./herald").EventOf<"agent.log">).data.percent;
`);
  const result = (() => {
    try {
      return execFileSync(tsc, ["--noEmit", "--strict", "--target", "es2022", "--module", "es2022", "--moduleResolution", "node",
        "--lib", "es2022,dom,dom.iterable", join(folder, "use.ts")], { encoding: "utf8" });
    } catch (error) {
      return `${error.stdout}${error.stderr}`;
    }
  })();
  assert.equal(result.trim(), "", "tsc reports no error");
});
