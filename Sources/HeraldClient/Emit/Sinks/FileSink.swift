import HeraldCore
import Synchronization

/// Appends each event as one JSON line to rotating JSONL files (R-file): `<prefix>.jsonl`,
/// renamed to `<prefix>-<UTC stamp>.jsonl` when it reaches the size threshold. The lines are
/// Herald ingest events, so `herald import DIRECTORY` loads every file back in order.
///
/// Each batch is written before the emitter counts it delivered; with `sync: true` it is also
/// on disk (fsync), so a power loss cannot take a delivered event. A write error (a full disk)
/// is retried; lines of a batch written before the error are then written again, which
/// `herald import` absorbs (every line carries its event id).
public final class FileSink: EventSink {
    private let writer: Mutex<RotatingJSONLWriter>
    private let sync: Bool

    /// Opens (or continues) the files `<directory>/<prefix>*.jsonl`.
    ///
    /// - Parameters:
    ///   - maxFileBytes: rotate before a line would take the live file past this size.
    ///   - sync: fsync after every batch.
    public init(directory: String, prefix: String = "events", maxFileBytes: Int = 500_000_000, sync: Bool = false) throws {
        self.writer = Mutex(try RotatingJSONLWriter(directory: directory, prefix: prefix, maxFileBytes: maxFileBytes))
        self.sync = sync
    }

    /// Writes through `writer` (e.g. one made with a fixed clock).
    public init(writer: sending RotatingJSONLWriter, sync: Bool = false) {
        self.writer = Mutex(writer)
        self.sync = sync
    }

    public func deliver(_ batch: [EventDraft]) async throws {
        try writer.withLock { writer in
            for draft in batch { try writer.write(draft.json) }
            if sync { try writer.sync() } else { try writer.flush() }
        }
    }

    public func close() async throws {
        try writer.withLock { try $0.close() }
    }
}
