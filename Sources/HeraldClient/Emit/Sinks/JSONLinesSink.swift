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
        // A failed write may have written part of the batch: writing it again would double lines,
        // so the failure is final (counted as failed by the emitter), not retried.
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + written, $0.count - written) }
            if count < 0 {
                if errno == EINTR { continue }
                let reason = "writing to file descriptor \(descriptor) failed: \(String(cString: strerror(errno)))"
                throw DeliveryError.rejected(Dictionary(uniqueKeysWithValues: batch.indices.map { ($0, reason) }))
            }
            written += count
        }
    }
}
