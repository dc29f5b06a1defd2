import HeraldCore

/// Delivers batches to a Herald server: one all-or-nothing `POST /v1/events` per batch.
///
/// Retries are safe because every event carries the id the emitter gave it: the server stores a
/// redelivered id once and answers where it already is.
public struct HTTPSink: EventSink {
    let client: HeraldClient
    let ownsClient: Bool

    /// Posts through `client`, which the caller keeps and shuts down.
    public init(client: HeraldClient) {
        self.client = client
        self.ownsClient = false
    }

    /// Posts to the server at `baseURL` through a client of its own, shut down by ``close()``.
    public init(baseURL: String, token: String? = nil) {
        var configuration = HeraldClient.Configuration(timeout: .seconds(30), token: token)
        // A server that is down must fail fast: the emitter retries on its own schedule.
        configuration.connectTimeout = .seconds(2)
        self.client = HeraldClient(baseURL: baseURL, configuration: configuration)
        self.ownsClient = true
    }

    public func deliver(_ batch: [EventDraft]) async throws {
        do {
            _ = try await client.post(batch)
        } catch let error as HeraldError {
            if let refusal = DeliveryError.classify(error, batchSize: batch.count) { throw refusal }
            throw error
        }
    }

    public func close() async throws {
        if ownsClient { try await client.shutdown() }
    }
}
