import ArgumentParser
import HeraldClient
import HeraldCore

/// `herald import`: posts exported JSONL files back to a server.
struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Post events from exported JSONL files.",
        discussion: """
            A folder is read as an export: its rotated <prefix>-*.jsonl files oldest first, then <prefix>.jsonl; \
            its other .jsonl files are named in a warning and not read (name them as files to import them). \
            The paths given are read oldest first, by the time of their first event (or the time in its ULID id), \
            each file's lines in order; each run's terminal event (run.completed, run.failed, run.cancelled) is \
            posted last, so a newer file cannot finish a run before its older events are in. \
            A time without a UTC offset is read in this machine's time zone and sent as UTC. \
            Lines are posted in NDJSON batches, without their server-assigned seq.
            Importing is safe to repeat: exported events carry their ids, and events already stored are answered as \
            duplicates. Into an empty server, a full export comes back with the same ids, seqs and times.
              herald import backup/
            """
    )

    @OptionGroup var client: CLIClientOptions

    @Argument(help: ArgumentHelp("Export folders or JSONL files (read oldest first, whatever the order given).", valueName: "dir-or-file"))
    var paths: [String]

    @Option(help: "The rotated files' name prefix in a folder.")
    var prefix = "events"

    @Option(help: "Events per request.")
    var batch = 500

    @Option(name: .customLong("batch-bytes"), help: "Bytes per request; keep it under the server's body limit.")
    var batchBytes = 1 << 20

    @Flag(name: .customLong("keep-seq"), help: "Refuse (409 seq_conflict) any event that would get a different seq than in the file.")
    var keepSeq = false

    @Flag(help: "Print the totals as JSON.")
    var json = false

    func validate() throws {
        guard !paths.isEmpty else { throw ValidationError("name at least one export folder or file") }
        guard batch > 0, batchBytes > 0 else { throw ValidationError("--batch and --batch-bytes must be positive") }
    }

    func run() async throws {
        let summary = try await client.withClient { client in
            var importer = EventImporter(client: client)
            importer.batchLines = batch
            importer.batchBytes = batchBytes
            importer.keepSeq = keepSeq
            importer.prefix = prefix
            return try await importer.importFiles(paths, warn: { CLIOutput.note("warning: \($0)") })
        }
        var output = CLIOutput()
        if json {
            var writer = JSONWriter()
            writer.raw("{\"files\":")
            writer.integer(summary.files)
            writer.raw(",\"events\":")
            writer.integer(summary.events)
            writer.raw(",\"accepted\":")
            writer.integer(summary.accepted)
            writer.raw(",\"duplicates\":")
            writer.integer(summary.duplicates)
            writer.raw(",\"requests\":")
            writer.integer(summary.requests)
            writer.raw("}")
            output.line(writer.bytes)
        } else {
            output.line(
                "imported \(summary.events) events from \(summary.files) file\(summary.files == 1 ? "" : "s"): "
                    + "\(summary.accepted) accepted, \(summary.duplicates) duplicates"
            )
        }
        output.flush()
    }
}
