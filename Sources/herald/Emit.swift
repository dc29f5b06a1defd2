import ArgumentParser
import HeraldClient
import HeraldCore

/// `herald emit`: posts one event from options, or NDJSON events from standard input.
struct Emit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Post an event, or NDJSON events from standard input.",
        discussion: """
            One event from options:
              herald emit --run r1 --type agent.log --agent w1 --data '{"line":"hi"}'
            Events from standard input, one JSON object per line, posted in batches
            (each batch is stored whole or not at all):
              my-orchestrator | herald emit --stdin
            With --stdin, --run, --project and --agent are used for lines that lack them, and a
            time (or timestamp) without a UTC offset is read in this machine's time zone and sent
            as UTC. --skip-invalid reports a line that is not JSON, or an event the server refuses,
            on standard error with its line number and stores the rest of its batch:
              python3 planner.py | herald emit --stdin --run nightly-42 --agent planner --skip-invalid
            Prints a one-line summary, or the server's ingest answer with --json.
            """
    )

    @OptionGroup var client: CLIClientOptions

    @Option(help: "The run the event belongs to.")
    var run: String?

    @Option(help: "The event type: a lowercase dotted name such as agent.log or my.thing.")
    var type: String?

    @Option(help: "The agent that produced the event.")
    var agent: String?

    @Option(help: "The turn number (≥ 0).")
    var turn: Int64?

    @Option(help: ArgumentHelp("The payload: a JSON object.", valueName: "json"))
    var data: String?

    @Option(help: "The run's project. (default: default)")
    var project: String?

    @Option(help: ArgumentHelp("The event id, a ULID; a retry with the same id is stored once.", valueName: "ulid"))
    var id: String?

    @Option(help: "milestone, decision, action, state, detail or system. (default: from the type)")
    var level: String?

    @Option(help: ArgumentHelp("Producer time, RFC 3339. (default: time of receipt)", valueName: "time"))
    var time: String?

    @Option(
        name: .customLong("caused-by"),
        help: ArgumentHelp("Id of an earlier event of the run that caused this one; repeatable.", valueName: "ulid")
    )
    var causedBy: [String] = []

    @Flag(help: "Read NDJSON events from standard input instead of the options above.")
    var stdin = false

    @Option(help: "With --stdin: events per request.")
    var batch = 500

    @Flag(
        name: .customLong("skip-invalid"),
        help: "With --stdin: skip (and report on standard error) lines that are not JSON and events the server refuses, storing the rest."
    )
    var skipInvalid = false

    @Flag(help: "Print the server's ingest answer as JSON.")
    var json = false

    func validate() throws {
        if stdin {
            let given = [type, data, id, level, time].contains { $0 != nil } || turn != nil || !causedBy.isEmpty
            guard !given else {
                throw ValidationError("--stdin reads whole events: only --run, --project and --agent (defaults for lines that lack them) combine with it")
            }
            guard batch > 0 else { throw ValidationError("--batch must be at least 1") }
            return
        }
        guard !skipInvalid else { throw ValidationError("--skip-invalid applies to --stdin") }
        guard run != nil, type != nil else { throw ValidationError("give --run and --type (or --stdin)") }
        if let level, Level(name: level) == nil {
            throw ValidationError("--level must be milestone, decision, action, state, detail or system")
        }
        if let time, Timestamp(rfc3339: time) == nil {
            throw ValidationError("--time must be RFC 3339, e.g. 2026-01-02T03:04:05.000006Z")
        }
        if let data, !CLIJSON.isObject(Array(data.utf8)) { throw ValidationError("--data must be a JSON object, e.g. '{\"line\":\"hi\"}'") }
    }

    func run() async throws {
        let (answer, skipped) = try await client.withClient { client in
            stdin ? try await postStandardInput(client) : (try await client.post([draft()]), 0)
        }
        var output = CLIOutput()
        if json {
            output.line(stdin && skipInvalid ? Self.withSkipped(answer.json, skipped) : answer.json)
        } else if !stdin, let placement = answer.events.first {
            output.line("\(placement.duplicate ? "duplicate" : "stored"): \(placement.run) seq \(placement.seq) id \(placement.id)")
        } else {
            output.line("accepted \(answer.accepted), duplicates \(answer.duplicates)" + (skipInvalid ? ", skipped \(skipped)" : ""))
        }
        output.flush()
    }

    /// The ingest answer with `"skipped": n` added.
    static func withSkipped(_ json: [UInt8], _ skipped: Int) -> [UInt8] {
        Array(json.dropLast()) + Array(",\"skipped\":\(skipped)}".utf8)
    }

    private func draft() -> EventDraft {
        EventDraft(
            id: id,
            project: project ?? "default",
            run: run ?? "",
            type: type ?? "",
            level: level.flatMap(Level.init(name:)),
            time: time.flatMap(Timestamp.init(rfc3339:)),
            agent: agent,
            turn: turn,
            causedBy: causedBy,
            data: Array((data ?? "{}").utf8)
        )
    }

    /// Posts standard input's lines; answers the summed answer and how many lines were skipped.
    private func postStandardInput(_ client: HeraldClient) async throws -> (IngestAnswer, Int) {
        let reader = try JSONLLineReader(path: "/dev/stdin")
        defer { reader.close() }
        let prepare = EmitLine(run: run, project: project, agent: agent)
        var uploader = NDJSONUploader(client: client, maxLines: batch, maxBytes: 1 << 20, keepsPlacements: json)
        uploader.partial = skipInvalid
        var skipped = 0
        var reported = 0
        func reportRefused() {
            for refusal in uploader.refused.dropFirst(reported) {
                let details = refusal.error.details.map { "\($0.field): \($0.message)" }
                CLIOutput.note("skipped \(refusal.origin): \(details.isEmpty ? refusal.error.message : details.joined(separator: "; ")) [\(refusal.error.code)]")
            }
            skipped += uploader.refused.count - reported
            reported = uploader.refused.count
        }
        while let line = try reader.next() {
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            switch prepare.prepare(line) {
            case .success(let event):
                try await uploader.add(event, origin: "stdin:\(reader.lineNumber)")
                reportRefused()
            case .failure(let problem):
                guard skipInvalid else {
                    let stored = uploader.sent == 0 ? "nothing was stored" : "the \(uploader.sent) events before its batch are stored"
                    throw HeraldError(.invalidJSON, "stdin:\(reader.lineNumber): \(problem) (\(stored); --skip-invalid skips such lines)")
                }
                CLIOutput.note("skipped stdin:\(reader.lineNumber): \(problem)")
                skipped += 1
            }
        }
        try await uploader.finish()
        reportRefused()
        return (uploader.answer, skipped)
    }
}
