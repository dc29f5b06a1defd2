import ArgumentParser
import HeraldClient
import HeraldCore

/// `herald runs`: lists runs, most recently updated first.
struct Runs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List runs, most recently updated first.",
        discussion: """
            The table shows each run's status, event count, agents, start time (UTC) and duration: \
            start to finish, or start to the latest event while the run is still going.
            With --json, prints one run per line as the API answers it.
            """
    )

    @OptionGroup var client: CLIClientOptions

    @Option(help: "active (queued or running), queued, running, completed, failed or cancelled.")
    var status: String?

    @Option(help: "Only this project's runs.")
    var project: String?

    @Option(help: "Most runs to list.")
    var limit = 50

    @Flag(help: "Print JSON lines instead of a table.")
    var json = false

    func validate() throws {
        guard limit > 0 else { throw ValidationError("--limit must be at least 1") }
        if let status, status != "active", RunStatus(rawValue: status) == nil {
            throw ValidationError("--status must be active, queued, running, completed, failed or cancelled")
        }
    }

    private var statusFilter: RunQuery.StatusFilter {
        guard let status else { return .any }
        return status == "active" ? .active : RunStatus(rawValue: status).map { .only($0) } ?? .any
    }

    func run() async throws {
        let runs = try await client.withClient { client in
            var runs: [RunSummary] = []
            var cursor: String?
            repeat {
                let page = try await client.runs(status: statusFilter, project: project, limit: limit - runs.count, cursor: cursor)
                runs.append(contentsOf: page.runs)
                cursor = page.runs.isEmpty ? nil : page.nextCursor
            } while cursor != nil && runs.count < limit
            return runs
        }
        var output = CLIOutput()
        if json {
            for run in runs { output.line(run.json) }
        } else if runs.isEmpty {
            CLIOutput.note("no runs")
        } else {
            for line in table(runs) { output.line(line) }
        }
        output.flush()
    }

    private func table(_ runs: [RunSummary]) -> [String] {
        let showProject = runs.contains { $0.project != "default" }
        var columns: [CLITable.Column] = [.init(title: "RUN")]
        if showProject { columns.append(.init(title: "PROJECT")) }
        columns += [
            .init(title: "STATUS"), .init(title: "EVENTS", alignRight: true), .init(title: "AGENTS", maxWidth: 40),
            .init(title: "STARTED"), .init(title: "DURATION", alignRight: true),
        ]
        var table = CLITable(columns)
        return table.render(
            runs.map { run in
                var row = [run.run]
                if showProject { row.append(run.project) }
                row += [
                    run.status.rawValue, String(run.eventCount), run.agents.isEmpty ? "-" : run.agents.joined(separator: ","),
                    CLIFormat.dateTime(run.startedAt),
                    CLIFormat.duration(microseconds: (run.finishedAt ?? run.updatedAt).microseconds - run.startedAt.microseconds),
                ]
                return row
            }
        )
    }
}
