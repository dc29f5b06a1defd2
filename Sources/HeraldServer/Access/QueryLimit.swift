import HeraldCore
import Hummingbird
import NIOCore
import Synchronization

/// Concurrent queries per caller (`--max-queries-per-client`): a caller past it is answered 429
/// `too_many_queries`, so one credential cannot hold every store reader, or many pages of memory
/// at once, by opening queries and not reading the answers. A query holds its slot until its
/// answer has been handed to the kernel (or the connection is gone).
final class QueryLimit: Sendable {
    let limit: Int
    private let held = Mutex<[String: Int]>([:])

    init(limit: Int) {
        self.limit = limit
    }

    func acquire(_ caller: String) throws(HeraldError) {
        try held.withLock { held throws(HeraldError) in
            let count = held[caller, default: 0]
            guard count < limit else {
                throw HeraldError(
                    .tooManyQueries, "this caller already has \(count) queries in progress (limit \(limit)); read their answers first",
                    retryAfter: 1
                )
            }
            held[caller] = count + 1
        }
    }

    func release(_ caller: String) {
        held.withLock { held in
            let count = held[caller, default: 1] - 1
            held[caller] = count > 0 ? count : nil
        }
    }

    /// Queries in progress, all callers together.
    var inProgress: Int { held.withLock { $0.values.reduce(0, +) } }
}

/// Holds one caller's query slot until released, or at the latest until the answer it guards is
/// dropped unwritten.
private final class QuerySlot: Sendable {
    private let limit: QueryLimit
    private let caller: String
    private let released = Atomic<Bool>(false)

    init(limit: QueryLimit, caller: String) {
        self.limit = limit
        self.caller = caller
    }

    func release() {
        if !released.exchange(true, ordering: .relaxed) { limit.release(caller) }
    }

    deinit { release() }
}

/// Puts the routes behind it under a ``QueryLimit``.
struct QueryLimitMiddleware<Context: AccessRequestContext>: RouterMiddleware {
    let limit: QueryLimit
    let metrics: HeraldMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let caller = context.access.identity
        do {
            try limit.acquire(caller)
        } catch {
            metrics.refusedByLimit("queries")
            throw error
        }
        let slot = QuerySlot(limit: limit, caller: caller)
        do {
            var response = try await next(request, context)
            let body = response.body
            let connection = context.connection
            response.body = ResponseBody(contentLength: body.contentLength) { writer in
                defer { slot.release() }
                try await body.write(writer)
                await Self.drained(connection)
            }
            return response
        } catch {
            slot.release()
            throw error
        }
    }

    /// Returns once `connection` has handed everything written to it to the kernel, or closed
    /// (a client that reads nothing is cut off by the write timeout). The body writer hands bytes
    /// to the connection without waiting for the client, so a query's answer would otherwise
    /// give its slot back while all of it still sat in memory.
    static func drained(_ connection: any Channel) async {
        var pause = Duration.milliseconds(1)
        while connection.isActive, !Task.isCancelled {
            guard let pending = try? await connection.getOption(.bufferedWritableBytes).get(), pending > 0 else { return }
            try? await Task.sleep(for: pause)
            pause = min(pause * 2, .milliseconds(50))
        }
    }
}

