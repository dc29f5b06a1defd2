import ArgumentParser
import HeraldClient
import HeraldCore

/// `herald export`: writes events to rotating JSONL files that `herald import` reads back.
struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write events to rotating JSONL files.",
        discussion: """
            Each line is one stored event exactly as the API answers it; runs are written one after another, each in seq order. \
            The live file is <out>/<prefix>.jsonl; when the next line would take it past --rotate-bytes, it is renamed \
            <prefix>-YYYYMMDDTHHMMSS.ffffffZ.jsonl (UTC) and a new one is started. Lines are never split.
              herald export --run r1 --out backup/
              herald export --all --out backup/ --rotate-bytes 100000000
            Read it back, into this or another server, with: herald import backup/
            """
    )

    @OptionGroup var client: CLIClientOptions

    @Option(help: "A run to export; repeatable.")
    var run: [String] = []

    @Flag(help: "Export every run, oldest first.")
    var all = false

    @Option(help: "With --all: only this project's runs. With --run: the runs' project (needed only with a credential that reads several projects holding those names).")
    var project: String?

    @Option(help: ArgumentHelp("The folder to write to; created if missing, and must hold no export of the same prefix.", valueName: "dir"))
    var out: String

    @Option(name: .customLong("rotate-bytes"), help: "Rotate before a file would pass this size. (default: 500 MB)")
    var rotateBytes = 500_000_000

    @Option(help: "The files' name prefix.")
    var prefix = "events"

    func validate() throws {
        guard all != !run.isEmpty else { throw ValidationError("give --run RUN (one or more) or --all") }
        guard rotateBytes > 0 else { throw ValidationError("--rotate-bytes must be positive") }
        guard !prefix.isEmpty, !prefix.contains("/") else { throw ValidationError("--prefix must be a plain file name") }
    }

    func run() async throws {
        let summary = try await client.withClient { client in
            if let existing = try? JSONLFiles.ordered(in: out, prefix: prefix), !existing.isEmpty {
                throw JSONLFileError(path: out, message: "already holds \(prefix)*.jsonl files: export into an empty folder")
            }
            let writer = try RotatingJSONLWriter(directory: out, prefix: prefix, maxFileBytes: rotateBytes)
            let exporter = EventExporter(client: client)
            let summary = all ? try await exporter.exportAll(project: project, to: writer) : try await exporter.export(runs: run, project: project, to: writer)
            try writer.close()
            return summary
        }
        let files = try JSONLFiles.ordered(in: out, prefix: prefix).count
        var output = CLIOutput()
        output.line("exported \(summary.events) events of \(summary.runs) runs to \(out) (\(files) file\(files == 1 ? "" : "s"))")
        output.flush()
    }
}
