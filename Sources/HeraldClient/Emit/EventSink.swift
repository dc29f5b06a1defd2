import HeraldCore

/// Where an ``Emitter`` delivers its batches: Herald over HTTP (``HTTPSink``), JSON lines on
/// stdout or any file descriptor (``JSONLinesSink``), rotating JSONL files (``FileSink``), or an
/// event store in the same process (``StoreSink``).
///
/// The emitter calls a sink from one task at a time, batch after batch, in emit order.
public protocol EventSink: Sendable {
    /// Delivers `batch` in order, all or nothing.
    ///
    /// Throw ``DeliveryError`` when the destination refuses events for good; any other error is
    /// taken as temporary and the emitter delivers the same batch (the same event ids) again
    /// after a backoff, so a destination must store a redelivered id once (Herald does).
    func deliver(_ batch: [EventDraft]) async throws

    /// Called once after the emitter's last delivery: flush and release what the sink holds.
    func close() async throws
}

extension EventSink {
    public func close() async throws {}
}

/// A refusal that retrying cannot change. Nothing of the batch was stored.
public enum DeliveryError: Error, Sendable {
    /// These events of the batch (by index) are refused, each with the reason; the emitter
    /// counts them as failed and delivers the others again.
    case rejected([Int: String])
    /// The batch is larger than the destination takes in one request; the emitter splits it.
    case tooLarge(String)
}

extension DeliveryError {
    /// Sorts a `HeraldError` answered by a server or a store into what the emitter does with it:
    /// refusals of events are final, everything else (unreachable, 429, 5xx) is worth a retry.
    ///
    /// - Returns: nil when the error is temporary.
    static func classify(_ error: HeraldError, batchSize: Int) -> DeliveryError? {
        switch error.code.status {
        case 413:
            return .tooLarge(error.message)
        case 408, 429, 500...:
            return nil
        case 400..<500:
            let indexed = error.details.compactMap { detail in detail.index.map { ($0, "\(error.code.rawValue) (\(error.message)): \(detail.message)") } }
            if !indexed.isEmpty, indexed.allSatisfy({ $0.0 >= 0 && $0.0 < batchSize }) {
                return .rejected(Dictionary(indexed) { first, second in first + "; " + second })
            }
            // A refusal of the whole request (bad credentials, a wrong URL): nothing in it can pass.
            return .rejected(Dictionary(uniqueKeysWithValues: (0..<batchSize).map { ($0, error.description) }))
        default:
            return nil
        }
    }
}
