import Foundation
import HeraldCore

/// Posts exported JSONL files back to a server, in order, as NDJSON batches.
///
/// Import is idempotent: exported events carry their ids, so an event already stored is
/// answered as a duplicate at its original place instead of being stored twice. Into a fresh
/// server, an import of a full export reproduces every event with its id, seq and bytes.
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

    /// An importer posting to `client`'s server, with the default batches.
    public init(client: HeraldClient) {
        self.client = client
    }

    /// The files to read: a folder stands for its rotated files in order (``JSONLFiles/ordered(in:prefix:)``),
    /// a file for itself.
    public func files(for paths: [String]) throws -> [String] {
        try paths.flatMap { path -> [String] in
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw JSONLFileError(path: path, message: "no such file or folder")
            }
            return isDirectory.boolValue ? try JSONLFiles.ordered(in: path, prefix: prefix) : [path]
        }
    }

    /// Imports `paths` (files and folders) in the order given.
    ///
    /// - Parameter progress: called after each request with the totals so far.
    /// - Throws: `HeraldError` located at the file and line of the batch the server refused
    ///   (batches before it stay stored), or ``JSONLFileError``.
    public func importFiles(_ paths: [String], progress: (Summary) -> Void = { _ in }) async throws -> Summary {
        var summary = Summary()
        var uploader = NDJSONUploader(client: client, maxLines: batchLines, maxBytes: batchBytes)
        func report() {
            summary.events = uploader.sent
            summary.accepted = uploader.answer.accepted
            summary.duplicates = uploader.answer.duplicates
            summary.requests = uploader.requests
        }
        for file in try files(for: paths) {
            let reader = try JSONLLineReader(path: file)
            defer { reader.close() }
            summary.files += 1
            while let line = try reader.next() {
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
                switch ImportLine.prepare(line, keepSeq: keepSeq) {
                case .success(let event):
                    let requests = uploader.requests
                    try await uploader.add(event, origin: "\(file):\(reader.lineNumber)")
                    if uploader.requests != requests {
                        report()
                        progress(summary)
                    }
                case .failure(let problem):
                    throw HeraldError(
                        .invalidJSON,
                        "\(file):\(reader.lineNumber): \(problem) (the first \(uploader.sent) events are stored; importing again is safe)"
                    )
                }
            }
        }
        try await uploader.finish()
        report()
        progress(summary)
        return summary
    }
}
