import HeraldCore

/// The server's answer to an ingest request: how many events were stored, how many were
/// already stored (same id), and where each one is.
///
/// `{"accepted": 3, "duplicates": 0, "events": [{"id": "01J…", "run": "r1", "seq": 7}, …]}`
public struct IngestAnswer: Sendable, Equatable, Decodable {
    /// Where one event of the request is stored (the server's own type).
    public typealias Placement = AppendResult.Placement

    /// Events stored by this request.
    public var accepted: Int
    /// Events whose id was already stored: not stored again.
    public var duplicates: Int
    /// In request order.
    public var events: [Placement]
    /// A partial request's refused events (`?partial=true`), each with its index in the request
    /// and the server's error for it; always empty for an all-or-nothing request.
    public var rejected: [AppendResult.Rejection]

    /// An answer with these counts and placements (empty: the start of a sum of answers).
    public init(accepted: Int = 0, duplicates: Int = 0, events: [Placement] = [], rejected: [AppendResult.Rejection] = []) {
        self.accepted = accepted
        self.duplicates = duplicates
        self.events = events
        self.rejected = rejected
    }

    /// Adds the answer of a later request, as if both had been one request.
    public mutating func merge(_ other: IngestAnswer) {
        accepted += other.accepted
        duplicates += other.duplicates
        events.append(contentsOf: other.events)
        rejected.append(contentsOf: other.rejected)
    }

    /// The answer in the server's own shape and field order.
    public var json: [UInt8] { AppendResult(placements: events).json }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        accepted = try container.decode(Int.self, forKey: .accepted)
        duplicates = try container.decode(Int.self, forKey: .duplicates)
        events = try container.decode([Placement].self, forKey: .events)
        rejected = try (container.decodeIfPresent([RejectionBody].self, forKey: .rejected) ?? []).map { body in
            let details = (body.details ?? []).map(\.fieldError)
            let status = body.code == HeraldError.Code.validationFailed.rawValue ? 422 : 409
            return AppendResult.Rejection(
                index: body.index, error: HeraldError(HeraldError.Code(body.code, status: status), body.message ?? "", details: details)
            )
        }
    }

    private enum CodingKeys: String, CodingKey { case accepted, duplicates, events, rejected }

    private struct RejectionBody: Decodable {
        var index: Int
        var code: String
        var message: String?
        var details: [FieldErrorBody]?
    }
}

extension AppendResult.Placement: Decodable {
    /// Decodes `{"id", "run", "seq", "duplicate"?}`; `duplicate` is absent when false.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try container.decode(String.self, forKey: .id), run: try container.decode(String.self, forKey: .run),
            seq: try container.decode(Int64.self, forKey: .seq),
            duplicate: try container.decodeIfPresent(Bool.self, forKey: .duplicate) ?? false
        )
    }

    private enum CodingKeys: String, CodingKey { case id, run, seq, duplicate }
}
