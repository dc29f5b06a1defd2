"""A planner / executor / reflector loop that publishes its run to Herald.

The shape of nanoagent's orchestrator: a planner splits a goal into tasks, an executor runs
each, a reflector judges the round (done, gaps, new tasks) and the loop goes again until the
reflector says done. Every step is published through one ``herald.Emitter``: it never blocks
and never raises, so the loop cannot be slowed down or crashed by the event stream.

    HERALD_URL=http://127.0.0.1:7373 python planner_loop.py [RUN] [--fail]

With ``--print`` the same events are written as JSON lines on stdout (``herald.StdoutSink``)
instead of posted, for a producer that can only print, or a machine without network:

    python planner_loop.py nightly-42 --print | herald emit --stdin

A producer that already prints the old StreamManager shape needs no change at all; Herald's
CLI fills in the run, reads the naive local timestamp as local time, and skips what it cannot
store (reporting it on stderr with its line number):

    # {"type": "task_started", "data": {...}, "timestamp": datetime.now().isoformat()}
    python old_orchestrator.py | herald emit --stdin --run nightly-42 --skip-invalid

Progress for humans goes to stderr, so stdout stays clean for ``--print``. Exit status: 0 when
the run completed, 1 when it failed (``--fail`` makes the executor fail), 2 when events could
not all be delivered.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from typing import List, Optional

import herald


@dataclass
class Task:
    id: str
    title: str


@dataclass
class Verdict:
    done: bool
    gaps: List[str] = field(default_factory=list)
    new_tasks: List[Task] = field(default_factory=list)


class ExecutorError(Exception):
    pass


# MARK: The fake agents (an LLM call each in a real orchestrator)


def plan(goal: str) -> List[Task]:
    return [Task("t1", f"Collect sources on {goal}"),
            Task("t2", "Summarise the sources"),
            Task("t3", "Draft the report")]


def execute(task: Task, fail_on: Optional[str], delay: float) -> str:
    time.sleep(delay)
    if task.id == fail_on:
        raise ExecutorError(f"tool call timed out while running {task.id}")
    return f"{task.title}: done"


def reflect(round_number: int) -> Verdict:
    if round_number == 1:
        return Verdict(done=False, gaps=["no citations checked"], new_tasks=[Task("t4", "Check every citation")])
    return Verdict(done=True)


# MARK: The loop, publishing as it goes


def orchestrate(h: herald.Emitter, goal: str, *, fail_on: Optional[str] = None, delay: float = 0.0,
                max_rounds: int = 5) -> bool:
    """Runs the loop; answers True when the run completed. Every call on ``h`` returns the new
    event's id (or None when filtered), used below as ``caused_by`` of what it led to."""
    h.run_started(name=f"Planner loop: {goal}", goal=goal)
    h.milestone_phase_transition("planning", from_="idle")
    idea = h.thought(text=f"Break '{goal}' into research, synthesis and writing.", agent="planner")
    tasks = plan(goal)
    cause = h.decision("plan", [t.id for t in tasks], reason="three-step plan", agent="planner", caused_by=[idea])
    h.milestone_phase_transition("executing", from_="planning", caused_by=[cause])
    log(f"plan: {', '.join(t.id for t in tasks)}")

    for turn in range(1, max_rounds + 1):
        h.milestone_turn_start(turn=turn)
        finished: List[Optional[str]] = []
        for task in tasks:
            started = h.task_started(task.id, title=task.title, agent="executor", turn=turn, caused_by=[cause])
            try:
                output = execute(task, fail_on, delay)
            except ExecutorError as error:
                failed = h.task_failed(task.id, str(error), agent="executor", turn=turn, caused_by=[started])
                h.run_failed(str(error), code="EXECUTOR_FAILED", caused_by=[failed])
                log(f"turn {turn}: {task.id} failed: {error}")
                return False
            finished.append(h.task_completed(task.id, result={"success": True, "output": output},
                                             agent="executor", turn=turn, caused_by=[started]))
            log(f"turn {turn}: {task.id} done")

        verdict = reflect(turn)
        h.thought(text="All tasks returned; checking the result against the goal.", agent="reflector", turn=turn)
        cause = h.reflection(done=verdict.done, gaps=verdict.gaps, new_tasks=[t.id for t in verdict.new_tasks],
                             agent="reflector", turn=turn, caused_by=finished)
        h.milestone_turn_end(turn=turn)
        log(f"turn {turn}: reflection done={verdict.done} gaps={verdict.gaps}")
        if verdict.done:
            h.run_completed(summary=f"{goal}: done in {turn} round(s)", caused_by=[cause])
            return True
        tasks = verdict.new_tasks

    h.run_failed(f"not done after {max_rounds} rounds", code="MAX_ROUNDS")
    return False


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", nargs="?", default=time.strftime("planner-%Y%m%d-%H%M%S"),
                        help="the run's name (default: planner-<date>-<time>)")
    parser.add_argument("--goal", default="the Herald launch")
    parser.add_argument("--fail", action="store_true", help="make the executor fail on the second task")
    parser.add_argument("--print", action="store_true", help="write JSON lines on stdout instead of posting")
    parser.add_argument("--delay", type=float, default=0.2, help="seconds each fake task takes (default 0.2)")
    parser.add_argument("--verbosity", default="detail", choices=herald.LEVELS,
                        help="the finest level published (default detail: everything)")
    args = parser.parse_args(argv)

    # One emitter for the whole run: the target is a Sink, or None for the server in $HERALD_URL.
    target = herald.StdoutSink() if args.print else None
    with herald.Emitter(target, run=args.run, verbosity=args.verbosity) as h:
        completed = orchestrate(h, args.goal, fail_on="t2" if args.fail else None, delay=args.delay)
    # Leaving the block shut the emitter down: everything was delivered, or given up after
    # its shutdown_timeout (5 s). The counters tell which.
    counters = h.counters
    log(f"run {args.run} {'completed' if completed else 'failed'}: {counters.delivered} of {counters.emitted} "
        f"events delivered, {counters.failed} failed, {counters.dropped} dropped, {counters.filtered} filtered")
    if counters.failed or counters.dropped:
        return 2
    return 0 if completed else 1


if __name__ == "__main__":
    sys.exit(main())
