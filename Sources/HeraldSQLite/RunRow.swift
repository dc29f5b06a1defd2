import GRDB
import HeraldCore

/// Mapping between rows of the `runs` table and ``Run``.
enum RunRow {
    static let columns =
        "run_key, run, project, name, status, started_at, updated_at, finished_at, event_count, last_seq, last_pos, agents, first_seq, received_at"

    static func run(from row: Row) -> Run {
        var run = Run(
            run: row["run"], project: row["project"], name: row["name"],
            status: RunStatus(rawValue: row["status"]) ?? .running,
            startedAt: Timestamp(microseconds: row["started_at"]), updatedAt: Timestamp(microseconds: row["updated_at"]),
            finishedAt: (row["finished_at"] as Int64?).map(Timestamp.init(microseconds:)),
            receivedAt: Timestamp(microseconds: row["received_at"]),
            eventCount: row["event_count"], lastSeq: row["last_seq"], lastPosition: row["last_pos"],
            agents: decodeAgents(row["agents"])
        )
        run.firstSeq = row["first_seq"]
        return run
    }

    /// Agents are stored as one string, newline-separated (agent names hold no control characters).
    static func encodeAgents(_ agents: [String]) -> String { agents.joined(separator: "\n") }

    static func decodeAgents(_ text: String) -> [String] {
        text.isEmpty ? [] : text.split(separator: "\n").map(String.init)
    }
}
