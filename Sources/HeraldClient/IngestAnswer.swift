import HeraldCore

/// The server's answer to an ingest request: how many events were stored, how many were
/// already stored (same id), and where each one is.
///
/// `{"accepted": 3, "duplicates": 0, "events": [{"id": "01J…", "run": "r1", "seq": 7}, …]}`
public struct IngestAnswer: Sendable, Equatable, Decodable {
    /// Where one event of the request is stored.
    public struct Placement: Sendable, Equatable, Decodable {
        public var id: String
        public var run: String
        public var seq: Int64
        /// True when the id was already stored: `seq` is then the original place.
        public var duplicate: Bool

        /// A placement of event `id` at `seq` of `run`.
        public init(id: String, run: String, seq: Int64, duplicate: Bool = false) {
            self.id = id
            self.run = run
            self.seq = seq
            self.duplicate = duplicate
        }

        /// Decodes `{"id", "run", "seq", "duplicate"?}`; `duplicate` is absent when false.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            id = try container.decode(String.self, forKey: .id)
            run = try container.decode(String.self, forKey: .run)
            seq = try container.decode(Int64.self, forKey: .seq)
            duplicate = try container.decodeIfPresent(Bool.self, forKey: .duplicate) ?? false
        }

        private enum CodingKeys: String, CodingKey { case id, run, seq, duplicate }
    }

    /// Events stored by this request.
    public var accepted: Int
    /// Events whose id was already stored: not stored again.
    public var duplicates: Int
    /// In request order.
    public var events: [Placement]

    /// An answer with these counts and placements (empty: the start of a sum of answers).
    public init(accepted: Int = 0, duplicates: Int = 0, events: [Placement] = []) {
        self.accepted = accepted
        self.duplicates = duplicates
        self.events = events
    }

    /// Adds the answer of a later request, as if both had been one request.
    public mutating func merge(_ other: IngestAnswer) {
        accepted += other.accepted
        duplicates += other.duplicates
        events.append(contentsOf: other.events)
    }

    /// The answer in the server's own shape and field order.
    public var json: [UInt8] {
        var writer = JSONWriter(capacity: 48 + events.count * 64)
        writer.raw("{\"accepted\":")
        writer.integer(accepted)
        writer.raw(",\"duplicates\":")
        writer.integer(duplicates)
        writer.raw(",\"events\":[")
        for (index, placement) in events.enumerated() {
            if index > 0 { writer.raw(",") }
            writer.raw("{\"id\":")
            writer.string(placement.id)
            writer.raw(",\"run\":")
            writer.string(placement.run)
            writer.raw(",\"seq\":")
            writer.integer(placement.seq)
            if placement.duplicate { writer.raw(",\"duplicate\":true") }
            writer.raw("}")
        }
        writer.raw("]}")
        return writer.bytes
    }
}
