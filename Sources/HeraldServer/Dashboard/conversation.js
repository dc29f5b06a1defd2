// The conversation as the model saw it: messages assembled from their deltas as they stream
// (`message.*`), reasoning collapsed under the message of its id (or standing alone, collapsed,
// where it happened), tool calls with their streamed arguments and their results, thoughts and
// reflections, all in the order they happened.
import { el, copyText } from "./util.js";

const MAX_ITEMS = 1000;  // bounded: the oldest items leave the page

export function createConversation(list, { empty, onReveal }) {
  const items = new Map();  // "message:id", "reasoning:id", "tool:id" → item
  const dirty = new Set();  // items whose text changed since the last draw

  /** An item in the list, made once; `node` is its <li>. */
  function item(key, make) {
    let entry = items.get(key);
    if (!entry) {
      entry = make();
      entry.key = key;
      items.set(key, entry);
      list.append(entry.node);
      empty.hidden = true;
      if (list.childElementCount > MAX_ITEMS) {
        const oldest = list.firstElementChild;
        items.delete(oldest.dataset.key);
        oldest.remove();
      }
    }
    return entry;
  }

  function head(who, what) {
    return el("div", { class: "turn-head" }, el("strong", {}, who), what ? el("span", { class: "muted" }, ` ${what}`) : null);
  }

  function message(event, d) {
    return item(`message:${d.messageId}`, () => {
      const text = el("div", { class: "message-text" });
      const copied = el("span", { class: "muted", role: "status" });
      const copy = el("button", { type: "button", class: "copy", "aria-label": "Copy the message" }, "Copy");
      const jump = el("button", { type: "button", class: "jump", "aria-label": "Show the message on the timeline" }, "Timeline");
      const who = el("strong", {}, d.role ?? "assistant");
      const node = el("li", { class: "message", "data-key": `message:${d.messageId}`, "data-message": d.messageId, "data-agent": event.agent ?? "" },
        el("div", { class: "turn-head" }, who, el("span", { class: "muted" }, event.agent ? ` ${event.agent}` : ""), copy, jump, copied), text);
      const entry = { node, text, who, chunks: [], done: false };
      copy.addEventListener("click", async () => {
        await copyText(entry.chunks.join(""));
        copied.textContent = "Copied";
        setTimeout(() => { copied.textContent = ""; }, 3000);
      });
      jump.addEventListener("click", () => onReveal(`message:${d.messageId}`));
      // Reasoning that arrived first under this id moves under its message.
      const earlier = items.get(`reasoning:${d.messageId}`);
      if (earlier) adopt(entry, earlier);
      return entry;
    });
  }

  /** Puts a reasoning block under its message (out of the list, where it stood alone). */
  function adopt(owner, block) {
    owner.node.insertBefore(block.details, owner.text);
    block.node?.remove();
    block.node = null;
  }

  // A block per reasoning.started; its reasoning messages are paragraphs inside it.
  const openReasoning = new Map();  // agent → its block not completed yet
  function reasoning(event, d) {
    const key = `reasoning:${d.messageId}`;
    const agent = event.agent ?? "";
    let block = items.get(key);
    if (!block && event.type !== "reasoning.started" && openReasoning.has(agent)) {
      block = openReasoning.get(agent);
      items.set(key, block);  // a message of the open block, found by its own id from now on
    }
    if (!block) {
      const parts = el("div", { class: "reasoning-text" });
      const details = el("details", { class: "reasoning", "data-reasoning": d.messageId },
        el("summary", {}, "Reasoning", event.agent ? ` · ${event.agent}` : ""), parts);
      const owner = items.get(`message:${d.messageId}`);
      if (owner) {
        block = { details, parts, chunks: new Map(), node: null };
        items.set(key, block);
        adopt(owner, block);
      } else {
        block = item(key, () => ({ details, parts, chunks: new Map(), node: el("li", { class: "reasoning-item", "data-key": key }, details) }));
      }
    }
    if (event.type === "reasoning.started") openReasoning.set(agent, block);
    return block;
  }

  function tool(event, d) {
    return item(`tool:${d.toolCallId}`, () => {
      const name = el("strong", {}, d.toolCallName ?? d.toolCallId);
      const args = el("pre", { class: "tool-args", "aria-label": "Arguments" });
      const result = el("pre", { class: "tool-result", "aria-label": "Result", hidden: true });
      const state = el("span", { class: "muted" }, " calling…");
      const node = el("li", { class: "tool", "data-key": `tool:${d.toolCallId}`, "data-tool-call": d.toolCallId },
        el("div", { class: "turn-head" }, "Tool ", name, el("span", { class: "muted" }, event.agent ? ` ${event.agent}` : ""), state), args, result);
      return { node, name, args, result, state, chunks: [] };
    });
  }

  function note(kind, event, text) {
    item(`${kind}:${event.id}`, () => ({
      node: el("li", { class: kind, "data-key": `${kind}:${event.id}` }, head(kind === "thought" ? "Thought" : "Reflection", event.agent), el("div", { class: "note-text" }, text)),
    }));
  }

  /** Takes one event, in seq order. */
  function add(event) {
    const d = event.data ?? {};
    switch (event.type) {
      case "message.started": message(event, d).who.textContent = d.name ? `${d.role} (${d.name})` : d.role ?? "assistant"; break;
      case "message.delta": { const m = message(event, d); m.chunks.push(d.delta); dirty.add(m); break; }
      case "message.completed": { const m = message(event, d); m.done = true; dirty.add(m); break; }
      case "reasoning.started": case "reasoning.message_started": reasoning(event, d); break;
      case "reasoning.delta": {
        const block = reasoning(event, d);
        if (!block.chunks.has(d.messageId)) {
          block.chunks.set(d.messageId, []);
          block.parts.append(el("p", { "data-reasoning-message": d.messageId }));
        }
        block.chunks.get(d.messageId).push(d.delta);
        dirty.add(block);
        break;
      }
      case "reasoning.message_completed": break;
      case "reasoning.completed": openReasoning.delete(event.agent ?? ""); break;
      case "tool.call_started": tool(event, d); break;
      case "tool.call_args": { const t = tool(event, d); t.chunks.push(d.delta); dirty.add(t); break; }
      case "tool.call_completed": tool(event, d).state.textContent = " running…"; break;
      case "tool.call_result": {
        const t = tool(event, d);
        t.result.hidden = false;
        t.result.textContent = typeof d.content === "string" ? d.content : JSON.stringify(d.content, null, 2);
        t.state.textContent = "";
        break;
      }
      case "thought": note("thought", event, d.content ?? d.text ?? ""); break;
      case "reflection":
        note("reflection", event, [d.content, d.done === undefined ? null : d.done ? "done" : "not done",
          d.gaps ? `gaps: ${JSON.stringify(d.gaps)}` : null, d.newTasks ? `new tasks: ${JSON.stringify(d.newTasks)}` : null].filter(Boolean).join(" · "));
        break;
    }
  }

  /** Writes the texts that grew, once per frame however many deltas came. */
  function draw() {
    if (dirty.size === 0) return;
    const follow = list.scrollTop + list.clientHeight >= list.scrollHeight - 4;
    for (const entry of dirty) {
      if (entry.text) {
        entry.text.textContent = entry.chunks.join("");
        entry.node.classList.toggle("streaming", !entry.done);
      } else if (entry.args) {
        entry.args.textContent = entry.chunks.join("");
      } else {
        for (const [id, chunks] of entry.chunks) entry.parts.querySelector(`[data-reasoning-message="${CSS.escape(id)}"]`).textContent = chunks.join("");
      }
    }
    dirty.clear();
    if (follow) list.scrollTop = list.scrollHeight;
  }

  return { add, draw };
}
