import Foundation
import HeraldTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Hostile input over real connections: garbage bodies get a 4xx (never a 5xx, never a crash),
/// and slow or silent clients are cut off instead of holding a connection forever.
@Suite("Input hardening", .timeLimit(.minutes(1)))
struct HardeningTests {
    @Test func garbageBodiesAreRefusedWith4xxAndStoreNothing() async throws {
        try await TestServer.with { server in
            var generator = SeededGenerator(seed: 20261122)
            var bodies: [(String, [UInt8])] = []
            for index in 0..<150 {
                let count = Int(generator.next() % 300)
                bodies.append(("random \(index)", (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }))
            }
            let edges: [(String, String)] = [
                ("deep nesting", #"{"run":"r","type":"x.y","data":"# + String(repeating: "[", count: 100_000)),
                ("deep object", String(repeating: #"{"a":"#, count: 50_000)),
                ("huge integer", #"{"run":"r","type":"x.y","turn":123456789012345678901234567890}"#),
                ("negative zero turn", #"{"run":"r","type":"x.y","turn":-0.5}"#),
                ("duplicate keys", #"{"run":"a","run":"b","type":"x.y"}"#),
                ("NUL in a name", "{\"run\":\"r\u{0}\",\"type\":\"x.y\"}"),
                ("unterminated string", #"{"run":"r"#),
                ("trailing garbage", #"{"run":"r","type":"x.y"}xyz"#),
                ("NDJSON of arrays", "[1]\n[2]\n"),
            ]
            for (name, text) in edges { bodies.append((name, Array(text.utf8))) }
            bodies.append(("invalid UTF-8", Array(#"{"run":"r","type":"x.y","data":{"s":""#.utf8) + [0xC3, 0x28, 0xFF] + Array(#""}}"#.utf8)))
            bodies.append(("overlong UTF-8", Array(#"{"run":"r","type":"x.y","agent":""#.utf8) + [0xC0, 0xAF] + Array(#""}"#.utf8)))

            for (name, body) in bodies {
                for contentType in ["application/json", "application/x-ndjson"] {
                    let answer = try await server.request(.POST, "/v1/events", bytes: body, contentType: contentType)
                    #expect((400..<500).contains(answer.status), "\(name) as \(contentType): \(answer.status) \(answer.text.prefix(200))")
                    #expect(answer.errorCode != nil, "\(name): no error code in \(answer.text.prefix(200))")
                }
            }
            // A body without a content type (what a cross-site fetch of a blob sends) is refused too.
            let untyped = try await server.request(.POST, "/v1/events", body: #"{"run":"r","type":"x.y"}"#, contentType: nil)
            #expect(untyped.status == 415 && untyped.errorCode == "unsupported_media_type")
            #expect(try await server.get("/readyz").status == 200)
            let runs = try await server.get("/v1/runs").json["runs"] as? [[String: Any]]
            #expect(runs?.isEmpty == true, "a refused request stored something: \(String(describing: runs))")
        }
    }

    /// `data` is the producer's and is stored byte for byte, never decoded: JSON that is
    /// well-formed but odd inside it is kept exactly as sent, for the reader's parser to judge.
    @Test func oddButWellFormedDataIsStoredExactlyAsSent() async throws {
        try await TestServer.with { server in
            for (index, data) in [#"{"n":1e999999}"#, #"{"k":1,"k":2}"#, #"{"s":"\ud800"}"#, #"{"n":-0.0e-0}"#].enumerated() {
                let answer = try await server.post(#"{"run":"odd","type":"x.y","data":\#(data)}"#)
                #expect(answer.status == 200, "\(data): \(answer.text)")
                let event = try await server.get("/v1/runs/odd/events?after=\(index)&limit=1")
                #expect(event.text.contains(#""data":\#(data)"#), "\(data) came back as \(event.text)")
            }
        }
    }

    @Test func aBodyTrickledByteByByteIsCutOffAtTheReadTimeout() async throws {
        try await TestServer.with(configure: { $0.requestReadTimeout = .milliseconds(800) }) { server in
            let connection = try RawConnection(port: server.port)
            defer { connection.close() }
            try connection.send("POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n")
            let clock = ContinuousClock()
            let start = clock.now
            var closed = false
            // One byte every 100 ms would take 100 s; the server closes at its 0.8 s deadline.
            while clock.now - start < .seconds(10) {
                try await Task.sleep(for: .milliseconds(100))
                if (try? connection.send("{")) == nil || connection.isClosedByPeer() {
                    closed = true
                    break
                }
            }
            #expect(closed, "the server kept a trickling request open")
            #expect(clock.now - start < .seconds(5))
            #expect(try await server.get("/healthz").status == 200)
        }
    }

    @Test func aSilentConnectionIsClosedAtTheIdleTimeout() async throws {
        try await TestServer.with(configure: { $0.idleTimeout = .milliseconds(500) }) { server in
            let connection = try RawConnection(port: server.port)
            defer { connection.close() }
            // Half a request head, then nothing.
            try connection.send("GET /healthz HTTP/1.1\r\nHost:")
            let clock = ContinuousClock()
            let start = clock.now
            while !connection.isClosedByPeer() && clock.now - start < .seconds(10) {
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(connection.isClosedByPeer(), "the server kept a silent connection open")
            #expect(clock.now - start < .seconds(5))
        }
    }
}

extension HardeningTests {
    /// Stream requests whose connections are reset before the answer is written give their
    /// slot back: a caller cannot be locked out by its own (or a proxy's) aborted requests.
    @Test func streamsResetBeforeTheirAnswerGiveTheirSlotBack() async throws {
        try await TestServer.with(configure: { $0.streams.maxConnectionsPerClient = 3 }) { server in
            try await server.ingest([#"{"run":"slot","type":"run.started"}"#])
            for index in 0..<20 {
                let connection = try RawConnection(port: server.port)
                try connection.send("GET /v1/runs/\(index % 2 == 0 ? "slot" : "nope")/stream?wait=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                connection.reset()
            }
            var subscribers = -1
            for _ in 0..<100 where subscribers != 0 {
                try await Task.sleep(for: .milliseconds(50))
                subscribers = try await server.get("/readyz").json["subscribers"] as? Int ?? -1
            }
            #expect(subscribers == 0)
            let stream = try await SSEConnection(server, "/v1/runs/slot/stream")
            #expect(stream.status == 200)
        }
    }
}

/// A plain TCP connection to 127.0.0.1, for clients no HTTP library would be.
final class RawConnection: @unchecked Sendable {
    private let descriptor: Int32

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { throw TestFailure("connect failed: \(errno)") }
    }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        let sent = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == bytes.count else { throw TestFailure("send failed: \(errno)") }
    }

    /// True once the peer closed its side (a read answers end of file or a reset).
    func isClosedByPeer() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        if count == 0 { return true }
        if count < 0 { return errno != EAGAIN && errno != EWOULDBLOCK }
        return false  // an answer (e.g. 408) was read; the close follows
    }

    func close() { Glibc.close(descriptor) }

    /// Closes with a reset (RST) instead of an orderly FIN, as a crashed client or a proxy does.
    func reset() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        Glibc.close(descriptor)
    }
}
