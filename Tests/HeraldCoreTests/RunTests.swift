import Testing

@testable import HeraldCore

@Suite("Run")
struct RunTests {
    static let lifecycle = ["run.queued", "run.started", "agent.log", "my.thing", "run.completed", "run.failed", "run.cancelled"]

    @Test(
        "status transitions",
        arguments: [
            (RunStatus.queued, ["queued", "running", "running", "running", "completed", "failed", "cancelled"]),
            (.running, ["running", "running", "running", "running", "completed", "failed", "cancelled"]),
            (.completed, ["completed", "completed", "completed", "completed", "completed", "completed", "completed"]),
            (.failed, ["failed", "failed", "failed", "failed", "failed", "failed", "failed"]),
            (.cancelled, ["cancelled", "cancelled", "cancelled", "cancelled", "cancelled", "cancelled", "cancelled"]),
        ] as [(RunStatus, [String])]
    )
    func transitions(from status: RunStatus, to expected: [String]) {
        #expect(Self.lifecycle.map { status.after($0).rawValue } == expected)
    }

    @Test("only completed, failed and cancelled are finished")
    func finished() {
        #expect(RunStatus.allCases.filter(\.isFinished) == [.completed, .failed, .cancelled])
    }

    @Test("a run starts queued only from run.queued")
    func firstEvent() {
        let time = Timestamp(microseconds: 42)
        let queued = Run(first: EventDraft(project: "p", run: "r1", type: "run.queued"), at: time)
        #expect(queued == Run(run: "r1", project: "p", status: .queued, startedAt: time, updatedAt: time))
        #expect(Run(first: EventDraft(run: "r1", type: "agent.log"), at: time).status == .running)
        #expect(Run(first: EventDraft(run: "r1", type: "run.started"), at: time).status == .running)
    }

    static func event(_ type: String, seq: Int64, micros: Int64, agent: String? = nil) -> Event {
        Event(
            draft: EventDraft(run: "r1", type: type, agent: agent),
            id: Ids.a,
            seq: seq,
            time: Timestamp(microseconds: micros),
            position: 100 + seq, projectPosition: 100 + seq
        )
    }

    @Test("apply folds each event into the run")
    func apply() {
        let start = Timestamp(microseconds: 1_000)
        var run = Run(first: EventDraft(run: "r1", type: "run.queued"), at: start)
        run.apply(Self.event("run.queued", seq: 1, micros: 1_000), name: "Nightly")
        #expect(run.status == .queued)
        #expect(run.name == "Nightly")
        run.apply(Self.event("run.started", seq: 2, micros: 2_000), name: "Renamed")
        run.apply(Self.event("agent.log", seq: 3, micros: 5_000, agent: "worker"), name: nil)
        run.apply(Self.event("agent.log", seq: 4, micros: 3_000, agent: "planner"), name: nil)
        run.apply(Self.event("agent.log", seq: 5, micros: 4_000, agent: "worker"), name: nil)
        #expect(run.status == .running)
        #expect(run.finishedAt == nil)
        run.apply(Self.event("run.failed", seq: 6, micros: 6_000), name: nil)
        run.apply(Self.event("my.late", seq: 7, micros: 7_000, agent: "late"), name: nil)
        #expect(
            run
                == Run(
                    run: "r1",
                    project: "default",
                    name: "Nightly",
                    status: .failed,
                    startedAt: start,
                    updatedAt: Timestamp(microseconds: 7_000),
                    finishedAt: Timestamp(microseconds: 6_000),
                    receivedAt: start,  // the store sets it on receipt; apply folds only what the events say
                    eventCount: 7,
                    lastSeq: 7,
                    lastPosition: 107,
                    agents: ["worker", "planner", "late"]
                )
        )
    }

    @Test("updatedAt never moves back for an event with an earlier producer time")
    func updatedAtMonotonic() {
        var run = Run(first: EventDraft(run: "r1", type: "a"), at: Timestamp(microseconds: 10_000))
        run.apply(Self.event("a", seq: 1, micros: 5_000), name: nil)
        #expect(run.updatedAt == Timestamp(microseconds: 10_000))
        #expect(run.startedAt == Timestamp(microseconds: 10_000))
    }
}
