import ArgumentParser
import HeraldClient
import HeraldCore

/// `herald events RUN`: a run's events, filtered, one page or all of them.
struct Events: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List a run's events in seq order.",
        discussion: """
            Shows one page (--limit events after --after); --all pages through every matching event.
            Filters combine:
              herald events r1 --types 'agent.*' --agents w1 --since 15m
            With --json, prints each event on its own line exactly as the API answers it.
            """
    )

    @OptionGroup var client: CLIClientOptions

    @Argument(help: "The run.")
    var run: String

    @Option(help: ArgumentHelp("Event types, comma-separated or repeated; agent.* matches a namespace.", valueName: "types"))
    var types: [String] = []

    @Option(help: ArgumentHelp("Agents, comma-separated or repeated.", valueName: "agents"))
    var agents: [String] = []

    @Option(help: "Verbosity: this level and every coarser one (system events always): milestone, decision, action, state or detail.")
    var level: String?

    @Option(name: .customLong("turn-from"), help: "Only turns ≥ this.")
    var turnFrom: Int64?

    @Option(name: .customLong("turn-to"), help: "Only turns ≤ this.")
    var turnTo: Int64?

    @Option(help: ArgumentHelp("Events at or after this time: RFC 3339, or a span back from now such as 15m, 2h, 7d.", valueName: "time"))
    var since: String?

    @Option(help: ArgumentHelp("Events before this time: RFC 3339, or a span back from now.", valueName: "time"))
    var until: String?

    @Option(help: "The run's project: needed only with a credential that reads several projects holding a run of that name. (env: HERALD_PROJECT)")
    var project = Env.string("HERALD_PROJECT")

    @Option(help: "Only events with a seq greater than this.")
    var after: Int64 = 0

    @Option(help: "Events per page. (default: 100, or 1000 with --all)")
    var limit: Int?

    @Flag(help: "Page through every matching event.")
    var all = false

    @Flag(help: "Print JSON lines instead of a table.")
    var json = false

    func validate() throws {
        _ = try filter()
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        guard after >= 0 else { throw ValidationError("--after must be ≥ 0") }
    }

    func filter() throws -> EventFilter {
        var filter = EventFilter()
        for text in types.flatMap({ $0.split(separator: ",") }) {
            guard let pattern = EventFilter.TypePattern(String(text)) else {
                throw ValidationError("--types: '\(text)' is not a type name or a wildcard such as agent.*")
            }
            filter.types.append(pattern)
        }
        filter.agents = agents.flatMap { $0.split(separator: ",").map(String.init) }
        if let level {
            guard let value = Level(name: level) else {
                throw ValidationError("--level must be milestone, decision, action, state, detail or system")
            }
            filter.level = value
        }
        for turn in [turnFrom, turnTo].compactMap({ $0 }) where turn < 0 { throw ValidationError("turns are ≥ 0") }
        filter.turnFrom = turnFrom
        filter.turnTo = turnTo
        filter.since = try since.map { text in
            guard let time = CLIFormat.time(text) else { throw ValidationError("--since must be RFC 3339 or a span such as 15m") }
            return time
        }
        filter.until = try until.map { text in
            guard let time = CLIFormat.time(text) else { throw ValidationError("--until must be RFC 3339 or a span such as 15m") }
            return time
        }
        return filter
    }

    func run() async throws {
        let filter = try filter()
        var output = CLIOutput()
        var table = CLITable([
            .init(title: "SEQ", alignRight: true), .init(title: "TIME"), .init(title: "LEVEL"), .init(title: "TYPE"),
            .init(title: "AGENT", maxWidth: 24), .init(title: "DATA", maxWidth: 80),
        ])
        var shown = 0
        try await client.withClient(project: project) { client in
            let pages = client.eventPages(run: run, filter: filter, after: after, pageSize: limit ?? (all ? 1000 : 100))
            for try await page in pages {
                if json {
                    for event in page.events { output.line(event.json) }
                } else {
                    for line in table.render(page.events.map(Self.row)) { output.line(line) }
                }
                shown += page.events.count
                output.flush()
                if !all {
                    if page.hasMore, let last = page.events.last {
                        CLIOutput.note("\(shown) of \(page.total) matching events; more with --after \(last.seq), or all with --all")
                    }
                    break
                }
            }
        }
        if shown == 0 && !json { CLIOutput.note("no matching events") }
    }

    static func row(_ event: EventRecord) -> [String] {
        let data = String(decoding: event.data, as: UTF8.self)
        return [
            String(event.seq), CLIFormat.clock(event.time), event.level.name, event.type, event.agent ?? "-",
            data == "{}" ? "" : data,
        ]
    }
}
