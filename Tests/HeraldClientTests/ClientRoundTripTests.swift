import HeraldClient
import HeraldCore
import Testing

@Suite("HeraldClient against a live server")
struct ClientRoundTripTests {
    @Test(.timeLimit(.minutes(1)))
    func postedDraftsComeBackFromEveryQuery() async throws {
        try await withServer { client in
            // Given
            let time = try #require(Timestamp(rfc3339: "2026-01-02T03:04:05.000006Z"))
            let drafts = [
                EventDraft(run: "r1", type: "run.started", data: #"{"name":"demo"}"#.bytes),
                EventDraft(
                    id: "01JAAAAAAAAAAAAAAAAAAAAAAA",
                    run: "r1",
                    type: "agent.log",
                    agent: "w1",
                    turn: 2,
                    data: #"{"line":"héllo \"x\""}"#.bytes
                ),
                EventDraft(run: "r1", type: "my.custom", level: .state, time: time, causedBy: ["01JAAAAAAAAAAAAAAAAAAAAAAA"]),
            ]

            // When
            let answer = try await client.post(drafts)

            // Then
            #expect(answer.accepted == 3 && answer.duplicates == 0)
            #expect(answer.events.map(\.seq) == [1, 2, 3])
            #expect(answer.events[1].id == "01JAAAAAAAAAAAAAAAAAAAAAAA")

            let run = try await client.run("r1")
            #expect(run.name == "demo" && run.status == .running && run.eventCount == 3 && run.lastSeq == 3)
            #expect(run.agents == ["w1"] && run.project == "default" && run.finishedAt == nil)

            let page = try await client.events(run: "r1")
            #expect(page.total == 3 && !page.hasMore)
            let events = page.events
            #expect(events.map(\.type) == ["run.started", "agent.log", "my.custom"])
            #expect(events[1].agent == "w1" && events[1].turn == 2 && events[1].level == .detail)
            #expect(events[1].data == #"{"line":"héllo \"x\""}"#.bytes)
            #expect(events[2].level == .state && events[2].time == time && events[2].causedBy == ["01JAAAAAAAAAAAAAAAAAAAAAAA"])
            #expect(events[0].data == #"{"name":"demo"}"#.bytes && events[2].data == "{}".bytes)

            let one = try await client.event(run: "r1", id: events[1].id)
            #expect(one == events[1])
            #expect(try EventRecord(json: one.json) == one)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func repostedIdsAnswerTheirOriginalPlaces() async throws {
        try await withServer { client in
            let body = """
                {"id":"01JBBBBBBBBBBBBBBBBBBBBBB1","run":"r1","type":"run.started"}
                {"id":"01JBBBBBBBBBBBBBBBBBBBBBB2","run":"r1","type":"thought","data":{"content":"a"}}

                """.bytes
            let first = try await client.post(ndjson: body)
            let second = try await client.post(ndjson: body)
            #expect(first.accepted == 2 && first.duplicates == 0)
            #expect(second.accepted == 0 && second.duplicates == 2)
            #expect(second.events.map(\.seq) == first.events.map(\.seq))
            #expect(second.events.allSatisfy { $0.duplicate })
            #expect(try await client.run("r1").eventCount == 2)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func runsAreFilteredByStatusAndProjectAndPagedByCursor() async throws {
        try await withServer { client in
            _ = try await client.post([
                EventDraft(run: "a", type: "run.started"),
                EventDraft(run: "b", type: "run.started"),
                EventDraft(run: "b", type: "run.completed"),
                EventDraft(project: "p2", run: "c", type: "run.queued"),
            ])

            #expect(try await client.runs(status: .only(.completed)).runs.map(\.run) == ["b"])
            #expect(Set(try await client.runs(status: .active).runs.map(\.run)) == ["a", "c"])
            #expect(try await client.runs(project: "p2").runs.map(\.run) == ["c"])
            let completed = try await client.run("b")
            #expect(completed.status == .completed && completed.finishedAt != nil)

            let first = try await client.runs(limit: 2)
            #expect(first.runs.count == 2)
            let cursor = try #require(first.nextCursor)
            let rest = try await client.runs(limit: 2, cursor: cursor)
            let paged = (first.runs + rest.runs).map(\.run)
            #expect(Set(paged) == ["a", "b", "c"] && paged.count == 3)
            #expect(Set(try await client.allRuns(pageSize: 1).map(\.run)) == ["a", "b", "c"])
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func eventQueriesCarryTheWholeFilterAndPageWithAfter() async throws {
        try await withServer { client in
            var drafts = [EventDraft(run: "r", type: "run.started")]
            for turn in 0..<10 {
                drafts.append(
                    EventDraft(run: "r", type: "agent.log", agent: turn % 2 == 0 ? "even" : "odd", turn: Int64(turn), data: #"{"line":"x"}"#.bytes)
                )
                drafts.append(EventDraft(run: "r", type: "state", turn: Int64(turn), data: #"{"variable":"v","new":1}"#.bytes))
            }
            _ = try await client.post(drafts)

            let logs = try await client.events(run: "r", filter: EventFilter(types: [.prefix("agent.")]))
            #expect(logs.total == 10 && logs.events.allSatisfy { $0.type == "agent.log" })
            let even = try await client.events(run: "r", filter: EventFilter(agents: ["even"], turnFrom: 2, turnTo: 6))
            #expect(even.events.map(\.turn) == [2, 4, 6])
            let coarse = try await client.events(run: "r", filter: EventFilter(level: .milestone))
            #expect(coarse.events.map(\.type) == ["run.started"])
            let types = try await client.events(run: "r", filter: EventFilter(types: [.exact("state"), .exact("run.started")]))
            #expect(types.total == 11)
            let future = Timestamp(microseconds: Timestamp.now().microseconds + 3_600_000_000)
            #expect(try await client.events(run: "r", filter: EventFilter(since: future)).total == 0)
            #expect(try await client.events(run: "r", filter: EventFilter(until: future)).total == 21)

            let page = try await client.events(run: "r", after: 5, limit: 4)
            #expect(page.events.map(\.seq) == [6, 7, 8, 9] && page.hasMore)
            var seqs: [Int64] = []
            var pages = 0
            for try await page in client.eventPages(run: "r", pageSize: 6) {
                seqs += page.events.map(\.seq)
                pages += 1
            }
            #expect(seqs == Array(1...21) && pages == 4)
        }
    }
}
