import HeraldCore

/// Posts NDJSON lines in batches (bounded by lines and bytes), in order, and adds up the answers.
///
/// Each batch is one all-or-nothing request; when the server refuses one, the batches before it
/// stay stored, and the error's per-event details name the refused lines by their origin.
///
/// ```swift
/// var uploader = NDJSONUploader(client: client, maxLines: 500)
/// for (number, line) in lines.enumerated() { try await uploader.add(line, origin: "stdin:\(number + 1)") }
/// try await uploader.finish()
/// print(uploader.answer.accepted)
/// ```
public struct NDJSONUploader: Sendable {
    /// The server posted to.
    public let client: HeraldClient
    /// The answers so far, merged. Placements are kept only when ``keepsPlacements`` is set.
    public private(set) var answer = IngestAnswer()
    /// Lines sent so far.
    public private(set) var sent = 0
    /// Requests sent so far.
    public private(set) var requests = 0
    /// Whether ``answer`` collects every event's placement (memory grows with the events).
    public let keepsPlacements: Bool
    /// Whether batches are posted as partial requests (`?partial=true`): an event the server
    /// refuses is skipped, recorded in ``refused`` with its line's origin, and the rest of its
    /// batch is stored. Otherwise a refusal fails the whole batch, and the upload.
    public var partial = false
    /// With ``partial``: the events the server refused so far, with the origin of their lines.
    public private(set) var refused: [Refusal] = []

    /// An event line the server refused in a partial upload.
    public struct Refusal: Sendable {
        /// Where the line came from (`file:line`).
        public var origin: String
        /// The server's error for this event alone (`validation_failed`, `run_finished`, …).
        public var error: HeraldError
    }

    private var batch: NDJSONBatch
    private var origins: [String] = []

    /// An uploader posting batches of at most `maxLines` lines and `maxBytes` bytes.
    public init(client: HeraldClient, maxLines: Int = 500, maxBytes: Int = 1 << 20, keepsPlacements: Bool = false) {
        self.client = client
        self.keepsPlacements = keepsPlacements
        self.batch = NDJSONBatch(maxLines: maxLines, maxBytes: maxBytes)
    }

    /// Adds one event line, posting the batch first when the line does not fit in it.
    ///
    /// - Parameter origin: where the line came from (`file:line`), for error messages.
    public mutating func add(_ line: [UInt8], origin: String) async throws {
        if !batch.fits(line) { try await post() }
        batch.append(line)
        origins.append(origin)
    }

    /// Posts what is left.
    public mutating func finish() async throws {
        try await post()
    }

    private mutating func post() async throws {
        guard !batch.isEmpty else { return }
        var result: IngestAnswer
        do {
            result = try await client.post(ndjson: batch.body, partial: partial)
        } catch let error as HeraldError {
            throw Self.locate(error, origins: origins, stored: sent)
        }
        for rejection in result.rejected where origins.indices.contains(rejection.index) {
            refused.append(Refusal(origin: origins[rejection.index], error: rejection.error))
        }
        result.rejected = []
        if !keepsPlacements { result.events = [] }
        answer.merge(result)
        sent += batch.count
        requests += 1
        batch.removeAll()
        origins.removeAll(keepingCapacity: true)
    }

    /// The server's error with each per-event detail naming its line's origin.
    static func locate(_ error: HeraldError, origins: [String], stored: Int) -> HeraldError {
        var located = error
        located.details = error.details.map { detail in
            guard let index = detail.index, origins.indices.contains(index) else { return detail }
            var detail = detail
            detail.message = "\(detail.message) (\(origins[index]))"
            return detail
        }
        if let first = origins.first {
            located.message +=
                stored > 0
                ? " (in the batch from \(first); the \(stored) events before that batch are stored)" : " (in the batch from \(first))"
        }
        return located
    }
}
