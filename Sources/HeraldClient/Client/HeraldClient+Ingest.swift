import Foundation
import HeraldCore

extension HeraldClient {
    /// Posts events as one all-or-nothing request; answers once they are durable.
    ///
    /// ```swift
    /// let answer = try await client.post([EventDraft(run: "r1", type: "agent.log", agent: "w1", data: Array(#"{"line":"hi"}"#.utf8))])
    /// ```
    /// - Parameter drafts: the events; ``EventDraft/json`` says how each is sent.
    /// - Throws: `HeraldError`, e.g. `validation_failed` (422) with per-event details, `run_finished` (409).
    public func post(_ drafts: [EventDraft]) async throws -> IngestAnswer {
        try await post(ndjson: drafts.ndjson)
    }

    /// Posts a body of NDJSON (one event object per line) as one all-or-nothing request, or, when
    /// `partial`, as a partial one (`?partial=true`): the valid events are stored and each refused
    /// one is answered in ``IngestAnswer/rejected`` by its index (its line in the body).
    public func post(ndjson body: [UInt8], partial: Bool = false) async throws -> IngestAnswer {
        let query = partial ? [("partial", "true")] : []
        return try decode(
            IngestAnswer.self, from: try await send(.POST, "/v1/events", query: query, body: body, contentType: "application/x-ndjson")
        )
    }

    /// Decodes an answer with `Codable`, or throws `invalid_response`.
    func decode<Answer: Decodable>(_ type: Answer.Type, from bytes: [UInt8]) throws -> Answer {
        do {
            return try JSONDecoder().decode(type, from: Data(bytes))
        } catch {
            throw HeraldError(.invalidResponse, "unexpected \(type) answer: \(error)")
        }
    }
}
