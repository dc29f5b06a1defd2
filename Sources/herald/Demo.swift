import ArgumentParser
import Foundation
import HeraldClient
import HeraldCore
import HeraldDemo

/// `herald demo`: plays a realistic multi-agent run into a server, to see Herald at work.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Simulate a multi-agent run against a server.",
        discussion: """
            A planner and three workers: tasks, steps with progress, log lines, tool actions, \
            decisions with causal links, one worker failing and retrying, and a clean finish \
            (or, with --fail, a failed run). Start a server first (herald serve), then watch the \
            run with the command this prints. The code is Examples/Orchestrator, written with the \
            HeraldClient library.
            """
    )

    @OptionGroup var client: CLIClientOptions

    @Option(help: "The run's name. (default: demo-<time>)")
    var run: String?

    @Flag(help: "End with a failed run: the retried worker fails again.")
    var fail = false

    @Option(help: ArgumentHelp("Seconds per beat of the story (about 20 beats); 0 plays it at once.", valueName: "seconds"))
    var pace = 1.0

    @Flag(help: "Write the events as JSON lines on standard output instead of posting them (no server needed); `herald emit --stdin` or `herald import` loads them later.")
    var stdout = false

    func validate() throws {
        if let run, !Names.isValidRun(run) { throw ValidationError("--run must match [A-Za-z0-9._:-]{1,128}") }
        guard pace >= 0 else { throw ValidationError("--pace must be ≥ 0") }
    }

    func run() async throws {
        let name = run ?? "demo-\(Timestamp.now().microseconds / 1_000_000)"
        let sink: any EventSink
        if stdout {
            sink = JSONLinesSink()
        } else {
            try await CLIOutput.reportingErrors {
                // Fail at once, with the server's address in the message, if nobody listens there.
                _ = try await HeraldClient.withClient(baseURL: client.server, configuration: .init(token: client.token)) { try await $0.runs(limit: 1) }
            }
            CLIOutput.note("run \(name): watch it live in the dashboard at \(client.server)/#/runs/\(name)\nor in the terminal with\n  herald watch \(name) --server \(client.server)")
            sink = HTTPSink(baseURL: client.server, token: client.token)
        }
        var emitter: Emitter?
        var interrupted = false
        try await Emitter.withEmitter(sink: sink, configuration: .init(run: name)) { herald in
            emitter = herald
            do {
                try await cancellingOnSignals {
                    try await DemoOrchestrator(herald: herald, options: .init(run: name, fail: fail, pace: pace)).run()
                }
            } catch is CancellationError {
                // Close the run as cancelled; with what was emitted, it is delivered as the emitter shuts down.
                herald.runCancelled(reason: "herald demo was interrupted")
                interrupted = true
            }
        }
        let counters = emitter?.counters ?? Emitter.Counters()
        if interrupted {
            CLIOutput.note("interrupted: run \(name) cancelled; \(counters.delivered) events delivered")
            throw ExitCode(130)
        }
        CLIOutput.note("run \(name) \(fail ? "failed, as asked" : "completed"): \(counters.delivered) events delivered")
        if counters.failed > 0 || counters.dropped > 0 {
            CLIOutput.note("error: \(counters.failed + counters.dropped) events were not delivered (see the messages above)")
            throw ExitCode.failure
        }
    }
}
