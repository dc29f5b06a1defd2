import ArgumentParser
import Foundation
import HeraldClient
import HeraldCore

/// `herald watch`: a run's (or a project's) events live in the terminal.
struct Watch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Watch a run's or a project's events live.",
        discussion: """
            Reconnects and resumes by itself. Watching a run exits when the run ends: 0 if it completed, \
            1 if it failed, 2 if it was cancelled. Colours follow the level; NO_COLOR or a non-terminal \
            output turns them off.
            """
    )

    @Argument(help: "The run to watch.")
    var run: String?

    @Option(help: "Without a run: watch every run of this project. With a run: the run's project, needed only with a credential that reads several projects holding a run of that name.")
    var project: String?

    @Option(help: "Herald's address. (env: HERALD_URL)")
    var server = Env.string("HERALD_URL") ?? "http://127.0.0.1:7373"

    @Option(help: ArgumentHelp("An API key or JWT, sent as Authorization: Bearer. (env: HERALD_TOKEN)", valueName: "key"))
    var token = Env.string("HERALD_TOKEN")

    @Option(help: "Types to show, comma-separated; `agent.*` wildcards allowed.")
    var types: String?

    @Option(help: "Agents to show, comma-separated.")
    var agents: String?

    @Option(help: "Verbosity: milestone, decision, action, state or detail (system events always show).")
    var level: String?

    @Option(help: "With --project: whose agent log lines to show (run names, comma-separated, or all).")
    var logs: String?

    @Flag(help: "Replay the history first instead of starting at the newest event.")
    var fromStart = false

    func validate() throws {
        guard run != nil || project != nil else { throw ValidationError("name a run, or --project P to watch a whole project") }
        // A run stream carries its log lines anyway; the server refuses parameters a route does not take.
        guard logs == nil || run == nil else { throw ValidationError("--logs applies to a project stream (--project without a run): a run's stream has its log lines") }
    }

    func run() async throws {
        var query = [("from", fromStart ? "start" : "now")]
        for (name, value) in [("types", types), ("agents", agents), ("level", level), ("logs", logs), ("project", run == nil ? nil : project)] {
            if let value { query.append((name, value)) }
        }
        let path = run.map { "/v1/runs/\(Self.escape($0))/stream" } ?? "/v1/projects/\(Self.escape(project ?? ""))/stream"
        let url = server + path + "?" + query.map { "\($0.0)=\(Self.escape($0.1))" }.joined(separator: "&")
        let style = WatchStyle(colour: ProcessInfo.processInfo.environment["NO_COLOR"] == nil && isatty(STDOUT_FILENO) == 1)

        var ending: String?
        do {
            for try await message in EventSubscription(url: url, headers: token.map { [("Authorization", "Bearer \($0)")] } ?? []) {
                // Unbuffered, so a pipe sees each event as it arrives.
                CLIOutput.writeAll(Array((style.line(for: message) + "\n").utf8), to: STDOUT_FILENO)
                if run != nil, Vocabulary.isTerminal(message.event) { ending = message.event }
            }
        } catch let error as HeraldError {
            throw ValidationError("\(error.code): \(error.message)")
        }
        switch ending {
        case "run.failed": throw ExitCode(1)
        case "run.cancelled": throw ExitCode(2)
        default: return
        }
    }

    static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+/"))) ?? text
    }
}

/// One line per event: time, seq, level, type, agent, data.
struct WatchStyle {
    let colour: Bool

    func line(for message: SSEParser.Message) -> String {
        let fields = (try? JSONSerialization.jsonObject(with: Data(message.data.utf8))) as? [String: Any] ?? [:]
        let time = (fields["time"] as? String).map { String($0.dropFirst(11).prefix(12)) } ?? "            "
        let seq = (fields["seq"] as? Int).map { "#\($0)" } ?? ""
        let level = Level(name: fields["level"] as? String ?? "") ?? (message.event.hasPrefix("herald.") ? .system : .action)
        let agent = fields["agent"] as? String ?? ""
        let data = (fields["data"]).flatMap { try? JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]) }
            .map { String(decoding: $0, as: UTF8.self) } ?? message.data
        let text = "\(time)  \(seq.padding(toLength: 7, withPad: " ", startingAt: 0)) \(level.name.padding(toLength: 9, withPad: " ", startingAt: 0)) \(message.event)\(agent.isEmpty ? "" : " [\(agent)]")  \(data.prefix(160))"
        guard colour else { return text }
        let code: String
        switch level {
        case .milestone: code = "1"
        case .decision: code = "35"
        case .action: code = "34"
        case .state: code = "36"
        case .detail: code = "2"
        case .system: code = "31"
        }
        return "\u{1B}[\(code)m\(text)\u{1B}[0m"
    }
}
