import HeraldClient
import NIOCore
import NIOPosix

/// Produces the requests of a load loop; each loop owns its copy.
protocol RequestSource: Sendable {
    /// The next request and how many events (units) it carries.
    mutating func next() -> (request: PreparedRequest, units: Int)
}

/// Sends requests back to back on one connection — the next leaves when the previous answer
/// arrives — and records each latency.
///
/// It lives entirely on its connection's event loop: issuing, timing and recording happen in
/// the response callback, so the client costs a few pipeline writes per request and no thread
/// hops. A lost connection is counted, reopened and the loop goes on.
final class ClosedLoop<Source: RequestSource> {
    /// When the loop records and when it stops.
    struct Plan: Sendable {
        /// Which first requests are warm-up, not recorded.
        var warmup = Warmup.until(.uptimeNanoseconds(0))
        /// No request starts after this.
        var stopAt: NIODeadline?
        /// Or: stop after this many requests past the warm-up.
        var requests: Int?
    }

    /// The warm-up: a stretch of time, or a number of requests that a slow server cannot make
    /// last for ever.
    enum Warmup: Sendable {
        /// Requests that start before this.
        case until(NIODeadline)
        /// The first requests, but none that start after the deadline.
        case requests(Int, atMostUntil: NIODeadline)

        func isOver(at start: NIODeadline, issued: Int) -> Bool {
            switch self {
            case .until(let deadline): start >= deadline
            case .requests(let count, let deadline): issued >= count || start >= deadline
            }
        }
    }

    private var connection: HTTPConnection
    private let endpoint: HTTPEndpoint
    private let plan: Plan
    private var source: Source
    private var stats = LoadStats()
    private var issued = 0
    private var issuedAfterWarmup = 0
    private let done: EventLoopPromise<LoadStats>

    private init(connection: HTTPConnection, endpoint: HTTPEndpoint, plan: Plan, source: Source) {
        self.connection = connection
        self.endpoint = endpoint
        self.plan = plan
        self.source = source
        self.done = connection.eventLoop.makePromise()
    }

    /// Runs a loop on `connection` until the plan says stop; the connection is closed at the end.
    static func run(on connection: HTTPConnection, endpoint: HTTPEndpoint, plan: Plan, source: Source) -> EventLoopFuture<LoadStats> {
        connection.eventLoop.flatSubmit {
            let loop = ClosedLoop(connection: connection, endpoint: endpoint, plan: plan, source: source)
            loop.issue()
            return loop.done.futureResult
        }
    }

    private var shouldStop: Bool {
        if let stopAt = plan.stopAt, NIODeadline.now() >= stopAt { return true }
        if let requests = plan.requests, issuedAfterWarmup >= requests { return true }
        return false
    }

    private func issue() {
        if shouldStop { return finish() }
        let (request, units) = source.next()
        let start = NIODeadline.now()
        let measured = plan.warmup.isOver(at: start, issued: issued)
        issued += 1
        if measured { issuedAfterWarmup += 1 }
        connection.send(request).assumeIsolated().whenComplete { result in
            let end = NIODeadline.now()
            switch result {
            case .success(let reply):
                if measured { self.count(reply, units: units, start: start, end: end) }
                if reply.keepsAlive { self.issue() } else { self.reconnect() }
            case .failure(let error):
                if measured { self.stats.transport["\(error)", default: 0] += 1 }
                self.reconnect()
            }
        }
    }

    private func count(_ reply: HTTPReply, units: Int, start: NIODeadline, end: NIODeadline) {
        if reply.isSuccess {
            stats.requests += 1
            stats.units += units
            stats.record(start: start, end: end)
        } else {
            stats.statuses[Int(reply.status.code), default: 0] += 1
            if stats.firstErrorBody == nil { stats.firstErrorBody = "\(reply.status.code): \(reply.text.prefix(300))" }
            stats.extend(start: start, end: end)
        }
    }

    private func reconnect() {
        connection.close()
        if shouldStop { return finish() }
        let eventLoop = connection.eventLoop
        HTTPConnection.connect(to: endpoint, on: eventLoop).assumeIsolated().whenComplete { result in
            switch result {
            case .success(let connection):
                self.connection = connection
                self.issue()
            case .failure(let error):
                // A failed connect counts as a request, so a dead server cannot keep the loop going.
                if self.plan.warmup.isOver(at: .now(), issued: self.issued) { self.issuedAfterWarmup += 1 }
                self.issued += 1
                self.stats.transport["connect: \(error)", default: 0] += 1
                eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(100)) { self.reconnect() }
            }
        }
    }

    private func finish() {
        connection.close()
        stats.attempted = issued
        done.succeed(stats)
    }
}
