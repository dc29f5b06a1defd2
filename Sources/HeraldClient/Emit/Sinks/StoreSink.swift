import HeraldCore

/// Appends batches straight to an event store in the same process: a Swift server that
/// embeds Herald (its store and hub, see `HeraldServer`) emits into it without HTTP, and the
/// events reach its live streams through the store's commit observer like any other.
///
/// The batch goes through the same parser and checks as an HTTP ingest, so a bad event is
/// refused here exactly as the server would refuse it.
public struct StoreSink: EventSink {
    let store: any EventStore
    let parser: EventParser

    public init(store: any EventStore, limits: IngestLimits = IngestLimits()) {
        self.store = store
        self.parser = EventParser(limits: limits)
    }

    public func deliver(_ batch: [EventDraft]) async throws {
        do throws(HeraldError) {
            let drafts = try parser.parse(batch.ndjson, format: .ndjson)
            _ = try await store.append(AppendRequest(drafts: drafts))
        } catch {
            if let refusal = DeliveryError.classify(error, batchSize: batch.count) { throw refusal }
            throw error
        }
    }
}
