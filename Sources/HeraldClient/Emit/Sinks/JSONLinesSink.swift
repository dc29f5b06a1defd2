import HeraldCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes each event as one JSON line to a file descriptor — standard output by default — for
/// a producer running without a server (R-emit). The lines are Herald ingest events (`id`,
/// `run`, `type`, `time`, `data` and the other fields set), so `herald import` loads them later.
///
/// ```
/// {"id":"01JD…","run":"r1","type":"task.started","time":"2026-11-22T14:20:05.123456Z","data":{"taskId":"t1"}}
/// ```
public struct JSONLinesSink: EventSink {
    let descriptor: Int32

    /// Writes to `descriptor` (standard output when omitted); the caller keeps it open.
    public init(descriptor: Int32 = STDOUT_FILENO) {
        self.descriptor = descriptor
    }

    public func deliver(_ batch: [EventDraft]) async throws {
        let bytes = batch.ndjson
        // One write call per batch: lines of concurrent writers to a pipe stay whole up to PIPE_BUF.
        try bytes.withUnsafeBytes { buffer in
            var written = 0
            while written < buffer.count {
                let count = write(descriptor, buffer.baseAddress! + written, buffer.count - written)
                if count < 0 {
                    if errno == EINTR { continue }
                    throw JSONLFileError.system("write", path: "file descriptor \(descriptor)")
                }
                written += count
            }
        }
    }
}
