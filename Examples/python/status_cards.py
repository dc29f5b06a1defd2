"""Follow a run from a terminal as status cards: one card per step, agent or task.

    HERALD_URL=http://127.0.0.1:7373 python status_cards.py RUN

Prints a line each time a card changes (queued, running with its percent, complete with tokens
and artifact, error with code and message), then the whole board when the run ends. It reads
the run from its first event, so it can start before, during or after the run; it waits for a
run that has no event yet. Exit status: 0 when the run completed, 1 when it failed or was
cancelled, 2 when it cannot follow the run (unknown run with --no-wait, server refusing).

The cards are what a React page draws from the same stream (QUALISYS's AgentStatusCard):
``step.queued`` → queued, ``step.started`` / ``step.progress`` → running at a percent,
``step.completed`` → complete, ``step.failed`` → error; ``agent.*`` and ``task.*`` the same way.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import Dict, List, Optional

import herald


@dataclass
class Card:
    name: str
    status: str = "queued"  # queued | running | complete | error
    percent: Optional[float] = None
    text: str = ""

    def line(self) -> str:
        percent = f"{self.percent:3.0f} %" if self.status == "running" and self.percent is not None else "     "
        return f"[{self.status:<8}] {percent}  {self.name:<16} {self.text}".rstrip()


def card_for(event: herald.Event, cards: Dict[str, Card]) -> Optional[Card]:
    """Updates the card the event is about; answers it, or None when the event is not about one."""
    data, kind = event.data, event.type
    if kind.startswith("step."):
        key = data.get("stepId")
        name = event.agent or key
    elif kind.startswith("task.") and "taskId" in data:
        key = name = data["taskId"]
    elif kind.startswith("agent.") and kind != "agent.log" and event.agent:
        key = name = event.agent
    else:
        return None
    card = cards.setdefault(f"{kind.split('.')[0]}:{key}", Card(str(name)))

    if kind == "step.queued":
        card.status, card.text = "queued", data.get("label", "")
    elif kind in ("step.started", "task.started", "agent.started"):
        card.status, card.percent = "running", 0 if kind == "step.started" else None
        card.text = data.get("label") or data.get("title") or data.get("role") or ""
    elif kind == "step.progress":
        card.status, card.percent = "running", data["percent"]
        card.text = data.get("label", card.text)
    elif kind in ("step.completed", "task.completed", "agent.completed"):
        card.status, card.percent = "complete", 100
        parts = []
        if "tokensUsed" in data:
            parts.append(f"{data['tokensUsed']} tokens")
        if "artifactId" in data:
            parts.append(f"artifact {data['artifactId']}")
        if data.get("summary"):
            parts.append(data["summary"])
        card.text = ", ".join(parts) or card.text
    elif kind == "step.failed":
        card.status, card.text = "error", f"{data['code']}: {data['message']}"
    elif kind in ("task.failed", "agent.failed"):
        card.status, card.text = "error", data["error"]
    else:
        return None  # task.status_changed and the like: no change of card
    return card


def follow(run: str, *, wait: bool = True, out=sys.stdout) -> int:
    cards: Dict[str, Card] = {}
    client = herald.Client()  # $HERALD_URL, $HERALD_TOKEN
    last: Optional[herald.Event] = None
    try:
        # after=0: from the run's first event. The subscription resumes by itself after a
        # disconnect and ends after the run's terminal event.
        for item in client.subscribe(run=run, after=0, wait=wait):
            if isinstance(item, herald.Gap):
                print(f"(events {item.requested + 1}…{item.continues_after} are gone: {item.reason})", file=out)
                continue
            last = item
            card = card_for(item, cards)
            if card is not None:
                print(card.line(), file=out, flush=True)
        status = last.type.split(".")[1] if last is not None and last.is_terminal else client.run(run)["status"]
    except herald.HeraldError as error:
        print(f"status_cards: {error}", file=sys.stderr)
        return 2

    board: List[str] = [card.line() for card in cards.values()]
    errors = sum(card.status == "error" for card in cards.values())
    print(f"\nrun {run}: {status} ({len(cards)} cards, {errors} in error)", file=out)
    print("\n".join("  " + line for line in board), file=out)
    if status == "failed" and last is not None and last.type == "run.failed":
        print(f"  failed: {last.data.get('code', '')} {last.data.get('error', '')}".rstrip(), file=out)
    out.flush()
    return 0 if status == "completed" else 1


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Follow a Herald run as status cards.")
    parser.add_argument("run")
    parser.add_argument("--no-wait", action="store_true", help="exit 2 when the run has no event yet")
    args = parser.parse_args(argv)
    try:
        return follow(args.run, wait=not args.no_wait)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
