import ArgumentParser
import Foundation
import HeraldClient
import HeraldCore

/// `herald tail-file`: publishes an agent's log file line by line as it grows (R-logs).
struct TailFile: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tail-file",
        abstract: "Publish a log file's lines as agent.log events while it grows.",
        discussion: """
            Waits for the file to appear, follows it through rotation and truncation, and stops at \
            the sentinel line (published too) or on SIGINT/SIGTERM, after delivering what it read. \
            A restarted tail resumes after the last line it published (asked of the server), so a \
            line is never published twice; a tail of the same file into the same run that is \
            already running, or that already reached the sentinel, exits at once.
              herald tail-file logs/worker-1.log --run nightly-42
            """
    )

    @OptionGroup var client: CLIClientOptions

    @Argument(help: "The log file.")
    var path: String

    @Option(help: "The run to publish into.")
    var run: String

    @Option(help: "The agent the lines belong to. (default: the file's name without extension)")
    var agent: String?

    @Option(help: "The run's project. (default: default)")
    var project = "default"

    @Option(help: "The line that ends the log.")
    var sentinel = "=== Run Complete ==="

    @Flag(help: "Follow forever: no sentinel line.")
    var noSentinel = false

    @Option(help: ArgumentHelp("Seconds to wait for the file to appear.", valueName: "seconds"))
    var wait: Double = 60

    @Option(help: ArgumentHelp("Seconds between checks for new lines.", valueName: "seconds"))
    var pollInterval: Double = 0.2

    @Option(help: ArgumentHelp("Longer lines are cut to this many bytes and marked truncated.", valueName: "bytes"))
    var maxLineBytes = 16 << 10

    func validate() throws {
        guard Names.isValidRun(run) else { throw ValidationError("--run must match [A-Za-z0-9._:-]{1,128}") }
        guard Names.isValidAgent(agentName) else {
            throw ValidationError("the agent name \"\(agentName)\" is not valid: give --agent (1 to 128 printable characters, no commas)")
        }
        guard wait >= 0, pollInterval > 0, maxLineBytes >= 64 else {
            throw ValidationError("--wait must be ≥ 0, --poll-interval > 0 and --max-line-bytes ≥ 64")
        }
    }

    var agentName: String { agent ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent }

    var absolutePath: String { URL(fileURLWithPath: path).standardizedFileURL.path }

    func run() async throws {
        let file = absolutePath
        guard let lock = TailLock(key: [client.server, project, run, agentName, file].joined(separator: "\n")) else {
            CLIOutput.note("herald tail-file is already publishing \(file) to run \(run); nothing to do")
            return
        }
        defer { lock.release() }

        var tail = LogTailer.Configuration(path: file)
        tail.waitTimeout = .seconds(wait)
        tail.pollInterval = .seconds(pollInterval)
        tail.sentinel = noSentinel ? nil : sentinel
        tail.maxLineBytes = maxLineBytes
        tail.resume = try await client.withClient { try await $0.lastLogLine(run: run, agent: agentName, file: file) }

        var emitting = Emitter.Configuration(run: run, project: project, agent: agentName)
        emitting.shutdownTimeout = .seconds(30)
        let tailer = LogTailer(configuration: tail)
        let sink = HTTPSink(baseURL: client.server, token: client.token)
        var emitter: Emitter?
        let count = try await Emitter.withEmitter(sink: sink, configuration: emitting) { herald in
            emitter = herald
            return try await cancellingOnSignals { try await herald.publish(tailer, file: file) }
        }
        // Read after the emitter stopped: delivered, or given up after the shutdown timeout.
        let counters = emitter?.counters ?? Emitter.Counters()
        let resumed = tail.resume.map { " (resumed after line \($0.lineNumber))" } ?? ""
        CLIOutput.note("published \(counters.delivered) of \(count) lines of \(file) to run \(run) as \(agentName)\(resumed)")
        if counters.failed > 0 || counters.dropped > 0 {
            CLIOutput.note("error: \(counters.failed + counters.dropped) lines were not delivered (see the messages above)")
            throw ExitCode.failure
        }
    }
}

/// An exclusive lock, held by one process at a time, on a file in the temporary folder named
/// after `key`: two `tail-file` processes never publish the same file into the same run.
struct TailLock {
    let descriptor: Int32

    /// Nil when another process holds the lock.
    init?(key: String) {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a
        for byte in key.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let path = NSTemporaryDirectory() + "/herald-tail-\(String(hash, radix: 16)).lock"
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return nil }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            return nil
        }
    }

    func release() {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
