import Foundation
import HeraldCore

/// Posts exported JSONL files back to a server, in order, as NDJSON batches.
///
/// Import is idempotent: exported events carry their ids, so an event already stored is
/// answered as a duplicate at its original place instead of being stored twice. Into a fresh
/// server, an import of a full export reproduces every event with its id, seq and bytes.
///
/// Safe for migrations, where files come in any order and with any names:
/// - The paths given are read oldest first: ordered by the time of their first event (its
///   `time`, else the time in its ULID id); a folder's rotated files in their rotation order; each
///   file's lines in their own order. Files, not single events, are ordered: an export is written
///   run by run, and a run's producer times need not rise with its seqs, so a merge of every
///   event by time would reorder a run.
/// - Each run's terminal event (`run.completed`, `run.failed`, `run.cancelled`) is posted after
///   every other line, so a file read early cannot finish a run that older lines still belong to.
/// - A folder's `.jsonl` files that are not the prefix's rotated or live files are not read, and
///   are named in a warning: pass them as files to import them.
/// - A time without a UTC offset is read in ``timeZone`` and sent as UTC, as `herald emit --stdin` does.
///
/// ```swift
/// let summary = try await EventImporter(client: client).importFiles(["backup/"])
/// print(summary.accepted, summary.duplicates)
/// ```
public struct EventImporter: Sendable {
    /// What an import did.
    public struct Summary: Sendable, Equatable {
        /// Files read.
        public var files = 0
        /// Event lines posted.
        public var events = 0
        /// Events stored by this import.
        public var accepted = 0
        /// Events the server already had (same id), left as they were.
        public var duplicates = 0
        /// Ingest requests sent.
        public var requests = 0

        /// Nothing imported yet.
        public init() {}
    }

    /// The server imported into.
    public var client: HeraldClient
    /// Lines per request.
    public var batchLines = 500
    /// Bytes per request; keep it under the server's body limit (4 MiB by default).
    public var batchBytes = 1 << 20
    /// Send each event's `seq` as `expectedSeq: seq - 1`, so an event that would get a different
    /// seq is refused (409 `seq_conflict`) instead of stored.
    public var keepSeq = false
    /// The name prefix of the rotated files in a folder.
    public var prefix = "events"
    /// The zone a `time` or `timestamp` without a UTC offset is read in (a producer's naive
    /// `datetime.now().isoformat()`); it is sent as UTC. This machine's zone by default.
    public var timeZone = TimeZone.current

    /// An importer posting to `client`'s server, with the default batches.
    public init(client: HeraldClient) {
        self.client = client
    }

    /// The files to read, oldest first: a folder stands for its rotated files in order
    /// (``JSONLFiles/ordered(in:prefix:)``), a file for itself; the paths are then ordered by the
    /// time of their first event (one whose lines say none keeps its place after the one before it).
    ///
    /// - Parameter warn: told of each folder's `.jsonl` files that are left out.
    public func files(for paths: [String], warn: (String) -> Void = { _ in }) throws -> [String] {
        let units = try paths.map { path -> [String] in
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw JSONLFileError(path: path, message: "no such file or folder")
            }
            guard isDirectory.boolValue else { return [path] }
            for other in try JSONLFiles.unmatched(in: path, prefix: prefix) {
                warn("\(other) is not read: its name is not \(prefix).jsonl or \(prefix)-<UTC stamp>.jsonl (name it as a file to import it)")
            }
            return try JSONLFiles.ordered(in: path, prefix: prefix)
        }
        // A folder's files keep their rotation order, which is the order they were written in.
        var keyed: [(files: [String], time: Int64, position: Int)] = []
        var previous = Int64.min
        for (position, files) in units.enumerated() {
            if let first = files.first { previous = try Self.firstTime(in: first, timeZone: timeZone) ?? previous }
            keyed.append((files, previous, position))
        }
        return keyed.sorted { ($0.time, $0.position) < ($1.time, $1.position) }.flatMap(\.files)
    }

    /// The time of the first of the file's first lines that names one.
    static func firstTime(in file: String, timeZone: TimeZone, lines: Int = 1000) throws -> Int64? {
        let reader = try JSONLLineReader(path: file)
        defer { reader.close() }
        while reader.lineNumber < lines, let line = try reader.next() {
            if let time = ImportLine.peek(line, timeZone: timeZone).time { return time }
        }
        return nil
    }

    /// Imports `paths` (files and folders) in the order given.
    ///
    /// - Parameter progress: called after each request with the totals so far.
    /// - Throws: `HeraldError` located at the file and line of the batch the server refused
    ///   (batches before it stay stored), or ``JSONLFileError``.
    public func importFiles(
        _ paths: [String], warn: (String) -> Void = { _ in }, progress: (Summary) -> Void = { _ in }
    ) async throws -> Summary {
        var summary = Summary()
        var uploader = NDJSONUploader(client: client, maxLines: batchLines, maxBytes: batchBytes)
        func report() {
            summary.events = uploader.sent
            summary.accepted = uploader.answer.accepted
            summary.duplicates = uploader.answer.duplicates
            summary.requests = uploader.requests
        }
        func add(_ event: [UInt8], origin: String) async throws {
            let requests = uploader.requests
            do {
                try await uploader.add(event, origin: origin)
            } catch let error as HeraldError where error.code == .runFinished {
                throw Self.finishedBefore(error)
            }
            if uploader.requests != requests {
                report()
                progress(summary)
            }
        }
        // Each run's end waits for every other line (see the type's notes).
        var terminal: [(event: [UInt8], origin: String)] = []
        for file in try files(for: paths, warn: warn) {
            let reader = try JSONLLineReader(path: file)
            defer { reader.close() }
            summary.files += 1
            while let line = try reader.next() {
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
                switch ImportLine.prepare(line, keepSeq: keepSeq) {
                case .success(var event):
                    let origin = "\(file):\(reader.lineNumber)"
                    let peeked = ImportLine.peek(line, timeZone: timeZone)
                    // A time without an offset is read in this machine's zone, as herald emit --stdin does.
                    if peeked.localTime, case .success(let utc) = EmitLine(timeZone: timeZone).prepare(event) { event = utc }
                    if let type = peeked.type, Vocabulary.isTerminal(type) {
                        terminal.append((event, origin))
                    } else {
                        try await add(event, origin: origin)
                    }
                case .failure(let problem):
                    throw HeraldError(
                        .invalidJSON,
                        "\(file):\(reader.lineNumber): \(problem) (the first \(uploader.sent) events are stored; importing again is safe)"
                    )
                }
            }
        }
        for (event, origin) in terminal { try await add(event, origin: origin) }
        do {
            try await uploader.finish()
        } catch let error as HeraldError where error.code == .runFinished {
            throw Self.finishedBefore(error)
        }
        report()
        progress(summary)
        return summary
    }

    /// A run this import has events for was already finished on the server: by an earlier import
    /// of a newer file, most likely. Its older events cannot be added any more.
    static func finishedBefore(_ error: HeraldError) -> HeraldError {
        var error = error
        error.message += "; the server already holds this run's end, so its older events cannot be added (import every file "
            + "of a run in one herald import: it posts each run's end last)"
        return error
    }
}
