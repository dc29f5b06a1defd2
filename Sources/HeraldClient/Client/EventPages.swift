import HeraldCore

/// The pages of a run's events, fetched lazily one after another with `after`.
///
/// Made by ``HeraldClient/eventPages(run:filter:after:pageSize:)``.
public struct EventPages: AsyncSequence, Sendable {
    public typealias Element = EventList

    let client: HeraldClient
    let run: String
    let project: String?
    let filter: EventFilter
    let after: Int64
    let pageSize: Int?

    public struct AsyncIterator: AsyncIteratorProtocol {
        let pages: EventPages
        var after: Int64
        var finished = false

        public mutating func next() async throws -> EventList? {
            guard !finished else { return nil }
            let page = try await pages.client.events(run: pages.run, filter: pages.filter, after: after, limit: pages.pageSize, project: pages.project)
            // An empty page ends the walk even if the server claims more, so a confused server cannot loop us.
            if let last = page.events.last, page.hasMore {
                after = last.seq
            } else {
                finished = true
            }
            return page
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(pages: self, after: after)
    }
}
