import NIOCore
import NIOHTTP1
import NIOPosix

/// An answer whose body is read as it arrives (a Server-Sent Events stream), on a connection of
/// its own that closes when the body is done with: read to its end, or dropped.
///
/// The body holds back: the connection reads from the socket only while the reader keeps up,
/// so a slow reader slows the server down instead of filling this process's memory.
///
/// ```swift
/// let response = try await StreamingResponse.open(.get(endpoint, "/v1/runs/r1/stream"), at: endpoint, settings: settings)
/// for try await chunk in response.body { parser.feed(chunk.readableBytesView) }
/// ```
package struct StreamingResponse: Sendable {
    package typealias Body = NIOThrowingAsyncSequenceProducer<
        ByteBuffer, any Error, NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark, StreamingResponseHandler.Demand
    >

    package var head: HTTPResponseHead
    /// The body's chunks; a connection that fails, or is silent past the read timeout, throws.
    package var body: Body

    /// Opens a connection, sends `request` and answers once the response's head has arrived.
    /// Cancelling the task closes the connection and throws `CancellationError`.
    package static func open(
        _ request: PreparedRequest, at endpoint: HTTPEndpoint, settings: HTTPConnection.Settings,
        on eventLoop: any EventLoop = MultiThreadedEventLoopGroup.singleton.next()
    ) async throws -> StreamingResponse {
        let answered = eventLoop.makePromise(of: StreamingResponse.self)
        let bootstrap = HTTPConnection.bootstrap(for: endpoint, on: eventLoop, settings: settings, localAddress: nil) {
            StreamingResponseHandler(answered: answered, readTimeout: settings.readTimeout)
        }
        let channel: any Channel
        do {
            channel = try await HTTPConnection.openChannel(bootstrap, to: endpoint, settings: settings)
        } catch {
            answered.fail(error)  // nobody waits on it; a promise must not be left pending
            throw error
        }
        channel.write(HTTPClientRequestPart.head(request.head), promise: nil)
        if let body = request.body { channel.write(HTTPClientRequestPart.body(.byteBuffer(body)), promise: nil) }
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        do {
            return try await withTaskCancellationHandler {
                try await answered.futureResult.get()
            } onCancel: {
                channel.close(promise: nil)
            }
        } catch {
            channel.close(promise: nil)
            if Task.isCancelled { throw CancellationError() }
            throw error
        }
    }

    /// The whole body, up to `limit` bytes (an error answer's, say).
    package func collect(upTo limit: Int) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for try await chunk in body {
            guard bytes.count + chunk.readableBytes <= limit else { throw HTTPConnectionError.responseTooLarge(limit: limit) }
            bytes += chunk.readableBytesView
        }
        return bytes
    }
}
