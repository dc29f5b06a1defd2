import NIOCore
import NIOPosix
import Synchronization

/// The connections of one client to its server: a request takes an idle kept-alive connection,
/// or opens one, and gives it back after a whole answer that lets it live.
///
/// So sequential requests (an emitter's batches, a CLI's pages) share one connection, and
/// concurrent ones each have their own. An idle connection that the server closed is noticed
/// when it closes and never used again.
///
/// ```swift
/// let pool = HTTPConnectionPool(endpoint: endpoint, settings: HTTPConnection.Settings(readTimeout: .seconds(45)))
/// let reply = try await pool.execute(.get(endpoint, "/v1/runs"), deadline: .now() + .seconds(60))
/// await pool.shutdown()
/// ```
package final class HTTPConnectionPool: Sendable {
    package let endpoint: HTTPEndpoint
    package let settings: HTTPConnection.Settings
    /// Whether a failed connection attempt is tried again (with backoff) until the request's deadline.
    package let retriesConnecting: Bool
    /// Idle connections kept beyond this many are closed.
    package let maxIdle: Int
    private let group: any EventLoopGroup
    private let state = Mutex(State())

    private struct State {
        var idle: [HTTPConnection] = []
        /// Connections carrying a request, closed by a shutdown.
        var leased: [ObjectIdentifier: HTTPConnection] = [:]
        var isShutDown = false
    }

    package init(
        endpoint: HTTPEndpoint, settings: HTTPConnection.Settings, retriesConnecting: Bool = false, maxIdle: Int = 8,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.endpoint = endpoint
        self.settings = settings
        self.retriesConnecting = retriesConnecting
        self.maxIdle = maxIdle
        self.group = group
    }

    /// Sends `request` and answers the whole response; cancelling the task closes its
    /// connection and throws `CancellationError`.
    package func execute(_ request: PreparedRequest, deadline: NIODeadline) async throws -> HTTPReply {
        try Task.checkCancellation()  // before an idle connection is taken, only to be closed
        let connection = try await checkOut(deadline: deadline)
        let reply: HTTPReply
        do {
            reply = try await withTaskCancellationHandler {
                try await connection.send(request, deadline: deadline).get()
            } onCancel: {
                connection.close()
            }
        } catch {
            checkIn(connection, reusable: false)
            if Task.isCancelled { throw CancellationError() }
            throw error
        }
        // A cancellation that came as the answer ended may have closed the connection under it.
        checkIn(connection, reusable: reply.keepsAlive && !Task.isCancelled)
        return reply
    }

    /// Closes every connection; requests in flight fail, later ones throw ``HTTPConnectionError/shutDown``.
    package func shutdown() async {
        let connections = state.withLock { state in
            state.isShutDown = true
            defer {
                state.idle = []
                state.leased = [:]
            }
            return state.idle + state.leased.values
        }
        for connection in connections {
            try? await connection.channel.close()
        }
    }

    // MARK: Connections

    private func checkOut(deadline: NIODeadline) async throws -> HTTPConnection {
        let reused = try state.withLock { state throws(HTTPConnectionError) -> HTTPConnection? in
            guard !state.isShutDown else { throw .shutDown }
            while let connection = state.idle.popLast() {
                guard connection.isActive else { continue }
                state.leased[ObjectIdentifier(connection)] = connection
                return connection
            }
            return nil
        }
        if let reused { return reused }
        let connection = try await connect(deadline: deadline)
        let isShutDown = state.withLock { state in
            if !state.isShutDown { state.leased[ObjectIdentifier(connection)] = connection }
            return state.isShutDown
        }
        if isShutDown {
            connection.close()
            throw HTTPConnectionError.shutDown
        }
        return connection
    }

    private func checkIn(_ connection: HTTPConnection, reusable: Bool) {
        let kept = state.withLock { state in
            guard state.leased.removeValue(forKey: ObjectIdentifier(connection)) != nil else { return false }
            guard reusable, connection.isActive, !state.isShutDown, state.idle.count < maxIdle else { return false }
            state.idle.append(connection)
            return true
        }
        if !kept { connection.close() }
    }

    /// Opens a connection within the connect timeout and the request's deadline, trying again
    /// with backoff (0.1 s, 0.2 s … 2 s) when ``retriesConnecting``.
    private func connect(deadline: NIODeadline) async throws -> HTTPConnection {
        var delay = TimeAmount.milliseconds(100)
        var failure: HTTPConnectionError?
        while true {
            var settings = self.settings
            settings.connectTimeout = max(.milliseconds(1), min(settings.connectTimeout, deadline - .now()))
            do {
                return try await HTTPConnection.open(to: endpoint, on: group.next(), settings: settings)
            } catch let error as HTTPConnectionError {
                // An attempt that the deadline cut short says less than the failure before it
                // (a refused connection, say): that one is reported.
                if failure == nil || settings.connectTimeout == self.settings.connectTimeout { failure = error }
                guard retriesConnecting, NIODeadline.now() + delay < deadline else { throw failure ?? error }
                try await Task.sleep(for: .nanoseconds(delay.nanoseconds))
                delay = min(delay * 2, .seconds(2))
            }
        }
    }
}
