import Foundation
@testable import HeraldCore
@testable import HeraldServer
import HeraldTestSupport
import Testing

/// `POST /otlp/v1/traces` over real HTTP, as an OTLP/HTTP exporter sends it.
@Suite("OTLP/HTTP traces receiver", .timeLimit(.minutes(1)))
struct OTLPReceiverTests {
    static let run = "101112131415161718191a1b1c1d1e1f"

    static func export(
        _ server: TestServer, _ body: [UInt8], contentType: String = "application/x-protobuf", headers: [(String, String)] = []
    ) async throws -> TestServer.Answer {
        try await server.request(.POST, "/otlp/v1/traces", bytes: body, contentType: contentType, headers: headers)
    }

    static func events(_ server: TestServer, run: String = run, project: String? = nil) async throws -> [[String: Any]] {
        let answer = try await server.get("/v1/runs/\(run)/events\(project.map { "?project=\($0)" } ?? "")")
        guard answer.status == 200 else { throw TestFailure("events: \(answer.status) \(answer.text)") }
        return try answer.json["events"] as? [[String: Any]] ?? []
    }

    /// `ExportTraceServiceResponse.partial_success` (rejected spans, message) of a protobuf answer.
    static func partialSuccess(_ body: [UInt8]) throws -> (rejected: Int, message: String) {
        var rejected = 0
        var message = ""
        try body.withUnsafeBufferPointer { buffer in
            var reader = ProtobufReader(buffer)
            while let (number, _) = try reader.nextField() {
                guard number == 1 else { continue }
                var partial = try reader.message()
                while let (field, _) = try partial.nextField() {
                    if field == 1 { rejected = Int(try partial.varint()) } else { message = try partial.string() }
                }
            }
        }
        return (rejected, message)
    }

    /// `google.rpc.Status { code = 1; message = 2 }` of a protobuf error answer.
    static func status(_ body: [UInt8]) throws -> (code: Int, message: String) {
        var code = 0
        var message = ""
        try body.withUnsafeBufferPointer { buffer in
            var reader = ProtobufReader(buffer)
            while let (number, _) = try reader.nextField() {
                if number == 1 { code = Int(try reader.varint()) } else { message = try reader.string() }
            }
        }
        return (code, message)
    }

    @Test func aProtobufTraceBecomesACompletedRunAndAResentOneAddsNothing() async throws {
        try await TestServer.with { server in
            let body = OTLPTraces.encodeProtobuf(OTLPSamples.agentTrace)
            let answer = try await Self.export(server, body)
            #expect(answer.status == 200)
            #expect(answer.headers["Content-Type"].first == "application/x-protobuf")
            #expect(answer.body.isEmpty)  // no partial_success: every span was taken
            let events = try await Self.events(server)
            #expect(events.count == 18)
            #expect(events.first?["type"] as? String == "run.started")
            #expect(events.last?["type"] as? String == "run.completed")
            let run = try await server.get("/v1/runs/\(Self.run)").json
            #expect(run["status"] as? String == "completed")
            #expect(run["name"] as? String == "planner")
            #expect(run["agents"] as? [String] == ["planner"])
            // The causality endpoint follows the span tree: the tool's result goes back to the agent.
            let result = try #require(events.first { $0["type"] as? String == "tool.call_result" })
            let chain = try await server.get("/v1/runs/\(Self.run)/events/\(result["id"] as? String ?? "")/causality").json
            let upstream = (chain["upstream"] as? [[String: Any]] ?? []).compactMap { $0["type"] as? String }
            #expect(upstream.contains("tool.call_started") && upstream.contains("agent.started"), "\(upstream)")

            // An exporter retrying after a lost answer: the same spans, stored once.
            let again = try await Self.export(server, body)
            #expect(again.status == 200)
            #expect(again.body.isEmpty)
            #expect(try await Self.events(server).count == 18)
        }
    }

    @Test func spansOfOneTraceSentInSeveralBatchesMakeOneRun() async throws {
        try await TestServer.with { server in
            for span in OTLPSamples.agentTrace {
                let answer = try await Self.export(server, OTLPTraces.encodeProtobuf([span]))
                #expect(answer.status == 200 && answer.body.isEmpty, "\(answer.text)")
            }
            let types = try await Self.events(server).compactMap { $0["type"] as? String }
            #expect(types.filter { $0 == "run.started" }.count == 1)
            #expect(types.count == 18)
            #expect(types.last == "run.completed")
        }
    }

    @Test func aSpanArrivingAfterItsRunEndedIsRefusedInPartialSuccess() async throws {
        try await TestServer.with { server in
            _ = try await Self.export(server, OTLPTraces.encodeProtobuf(OTLPSamples.agentTrace))
            let late = OTLPSamples.span(9, parent: 1, name: "execute_tool late", start: 31, end: 40, [
                OTLPAttribute("gen_ai.operation.name", .string("execute_tool")), OTLPAttribute("gen_ai.tool.name", .string("late")),
            ])
            let another = OTLPSamples.span(1, parent: nil, name: "other trace", start: 0, end: 1, [])
            var otherTrace = another
            otherTrace.traceId = Array(0x20...0x2F)
            let answer = try await Self.export(server, OTLPTraces.encodeProtobuf([late, otherTrace]))
            #expect(answer.status == 200)
            let partial = try Self.partialSuccess(answer.body)
            #expect(partial.rejected == 1)
            #expect(partial.message.contains("completed; it accepts no more events"), "\(partial.message)")
            // The other trace in the same request was stored.
            let other = try await Self.events(server, run: "202122232425262728292a2b2c2d2e2f")
            #expect(other.compactMap { $0["type"] as? String } == ["run.started", "otel.span", "run.completed"])
            #expect(try await Self.events(server).count == 18)
        }
    }

    @Test func jsonAndGzipBodiesAreReadToo() async throws {
        try await TestServer.with { server in
            let json = """
                {"resourceSpans":[{"resource":{"attributes":[{"key":"herald.project","value":{"stringValue":"json"}}]},"scopeSpans":[{"spans":[
                  {"traceId":"101112131415161718191a1b1c1d1e1f","spanId":"000000000000a001","name":"invoke_agent solo",
                   "startTimeUnixNano":"1765000000000000000","endTimeUnixNano":"1765000000500000000",
                   "attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"invoke_agent"}}]}]}]}]}
                """
            let answer = try await Self.export(server, Array(json.utf8), contentType: "application/json")
            #expect(answer.status == 200)
            #expect(answer.text == "{}")
            let events = try await Self.events(server, project: "json")
            #expect(events.compactMap { $0["type"] as? String } == ["run.started", "agent.started", "agent.completed", "run.completed"])
            #expect(events[1]["agent"] as? String == "solo")

            let gzipped = try gzip(OTLPTraces.encodeProtobuf(OTLPSamples.agentTrace))
            let compressed = try await Self.export(server, gzipped, headers: [("Content-Encoding", "gzip")])
            #expect(compressed.status == 200, "\(compressed.text)")
            #expect(try await Self.events(server, project: "default").count == 18)

            let broken = try await Self.export(server, Array(gzipped.prefix(gzipped.count / 2)), headers: [("Content-Encoding", "gzip")])
            #expect(broken.status == 400)
            #expect(try Self.status(broken.body).message.contains("gzip body is truncated"))
        }
    }

    @Test func malformedBodiesAreRefusedWithAStatusAndStoreNothing() async throws {
        try await TestServer.with { server in
            let body = OTLPTraces.encodeProtobuf(OTLPSamples.agentTrace)
            let truncated = try await Self.export(server, Array(body.dropLast(3)))
            #expect(truncated.status == 400)
            #expect(truncated.headers["Content-Type"].first == "application/x-protobuf")
            let status = try Self.status(truncated.body)
            #expect(status.code == 3)  // INVALID_ARGUMENT
            #expect(status.message.hasPrefix("invalid_protobuf: malformed ExportTraceServiceRequest: byte "), "\(status.message)")

            let json = try await Self.export(server, Array(#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"#.utf8), contentType: "application/json")
            #expect(json.status == 400)
            #expect(try json.json["code"] as? Int == 3)
            #expect(json.errorCode == "invalid_json")

            let wrongType = try await Self.export(server, body, contentType: "text/plain")
            #expect(wrongType.status == 415)
            #expect(wrongType.errorCode == "unsupported_media_type")

            let encoding = try await Self.export(server, body, headers: [("Content-Encoding", "br")])
            #expect(encoding.status == 415)
            #expect(try Self.status(encoding.body).message.contains("Content-Encoding br is not accepted"))

            let runs = try await server.get("/v1/runs").json["runs"] as? [Any]
            #expect(runs?.isEmpty == true)
        }
    }

    @Test func bodiesPastTheLimitsAre413() async throws {
        try await TestServer.with(configure: { $0.limits.maxBodyBytes = 20_000 }) { server in
            var span = OTLPSamples.agentTrace[4]
            span.attributes.append(OTLPAttribute("big", .string(String(repeating: "x", count: 30_000))))
            let large = try await Self.export(server, OTLPTraces.encodeProtobuf([span]))
            #expect(large.status == 413)
            #expect(try Self.status(large.body).code == 8)  // RESOURCE_EXHAUSTED
            // A gzip bomb: small on the wire, past four times the limit inflated.
            let bomb = try gzip(Array(repeating: 0, count: 200_000))
            #expect(bomb.count < 20_000)
            let inflated = try await Self.export(server, bomb, headers: [("Content-Encoding", "gzip")])
            #expect(inflated.status == 413)
            #expect(try Self.status(inflated.body).message.contains("inflates to more than 80000 bytes"))
        }
    }

    /// A large request is stored a chunk of whole traces at a time: every trace whole, its root's
    /// end last, whichever chunk it falls in.
    @Test func aLargeRequestIsStoredInChunksOfWholeTraces() async throws {
        func trace(_ number: UInt8, spans count: Int) -> [OTLPSpan] {
            let root = UInt16(count)
            return (1...count).map { index in
                var span = OTLPSamples.span(0, parent: nil, name: index == count ? "invoke_agent root" : "step \(index)", start: UInt64(index), end: UInt64(index + 1), [
                    OTLPAttribute("gen_ai.operation.name", .string(index == count ? "invoke_agent" : "chat")),
                ])
                span.traceId = Array(repeating: number, count: 16)
                span.spanId = [0, 0, 0, 0, 0, 1, UInt8(index >> 8), UInt8(index & 0xFF)]
                span.parentSpanId = index == count ? [] : [0, 0, 0, 0, 0, 1, UInt8(root >> 8), UInt8(root & 0xFF)]
                return span
            }
        }
        // 30 traces of 50 spans and one of 1,500, interleaved as a batch processor may send them.
        let small = (1...30).map { trace(UInt8($0), spans: 50) }
        let large = trace(99, spans: 1500)
        var spans: [OTLPSpan] = []
        for index in 0..<1500 {
            if index < 50 { for small in small { spans.append(small[index]) } }
            spans.append(large[index])
        }
        let chunks = OTLPController<HeraldRequestContext>.chunks(of: spans, maxSpans: 1024)
        #expect(chunks.map(\.count) == [1000, 500, 1500])  // 20 small traces, 10, then the large one alone
        // Every trace lies whole in one chunk.
        let traceOfChunk = chunks.enumerated().flatMap { number, chunk in chunk.map { (spans[$0].traceId, number) } }
        #expect(Dictionary(grouping: traceOfChunk, by: \.0).values.allSatisfy { Set($0.map(\.1)).count == 1 })
        let body = OTLPTraces.encodeProtobuf(spans)
        try await TestServer.with(configure: { $0.limits.maxBodyBytes = 8 << 20 }) { server in
            let answer = try await Self.export(server, body)
            #expect(answer.status == 200 && answer.body.isEmpty, "\(answer.status) \(answer.text)")
            for number in [1, 30, 99] {
                let run = String(repeating: String(format: "%02x", number), count: 16)
                let info = try await server.get("/v1/runs/\(run)").json
                #expect(info["status"] as? String == "completed")
                #expect(info["eventCount"] as? Int == (number == 99 ? 1500 : 50) * 2 + 2)  // run.started, two per span, run.completed
            }
        }
    }

    /// Texts are cut to 32 KiB by the mapping, however many bytes their JSON escapes take.
    @Test func hugeAndControlCharacterTextsAreStoredCut() async throws {
        try await TestServer.with { server in
            let span = OTLPSamples.span(1, parent: nil, name: "execute_tool dump", start: 0, end: 1, [
                OTLPAttribute("gen_ai.operation.name", .string("execute_tool")),
                OTLPAttribute("gen_ai.tool.call.result", .string(String(repeating: "\u{1}", count: 200_000))),
                OTLPAttribute("gen_ai.tool.call.arguments", .string(String(repeating: "é", count: 300_000))),
                OTLPAttribute("gen_ai.usage.input_tokens", .int(.max)),
            ])
            let answer = try await Self.export(server, OTLPTraces.encodeProtobuf([span]))
            #expect(answer.status == 200 && answer.body.isEmpty, "\(answer.status) \(answer.text)")
            let events = try await Self.events(server)
            let result = try #require(events.first { $0["type"] as? String == "tool.call_result" }?["data"] as? [String: Any])
            let content = try #require(result["content"] as? String)
            #expect(content.hasPrefix("\u{1}\u{1}") && content.hasSuffix("…") && content.utf8.count <= 32 << 10)
            let arguments = try #require(events.first { $0["type"] as? String == "tool.call_args" }?["data"] as? [String: Any])
            #expect((arguments["delta"] as? String)?.utf8.count ?? .max <= 32 << 10)
        }
    }

    @Test func keysScopeTheProjectsSpansMayGoTo() async throws {
        let directory = TestServer.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let acme = try await TestKeys.create(in: directory, project: "acme", role: .publish)
        let reader = try await TestKeys.create(in: directory, project: "acme", role: .read)
        try await TestServer.with(dataDirectory: directory) { server in
            let body = OTLPTraces.encodeProtobuf(OTLPSamples.agentTrace)
            #expect(try await Self.export(server, body).status == 401)
            let readOnly = try await Self.export(server, body, headers: TestKeys.bearer(reader))
            #expect(readOnly.status == 403)
            #expect(try Self.status(readOnly.body).code == 7)  // PERMISSION_DENIED

            // The key's only project is where spans without herald.project go.
            let stored = try await Self.export(server, body, headers: TestKeys.bearer(acme))
            #expect(stored.status == 200 && stored.body.isEmpty)
            let run = try await server.get("/v1/runs/\(Self.run)", headers: TestKeys.bearer(reader)).json
            #expect(run["project"] as? String == "acme")

            // A span naming another project is refused alone.
            var elsewhere = OTLPSamples.agentTrace[0]
            elsewhere.traceId = Array(0x30...0x3F)
            elsewhere.resource = [OTLPAttribute("herald.project", .string("beta"))]
            let refused = try await Self.export(server, OTLPTraces.encodeProtobuf([elsewhere]), headers: TestKeys.bearer(acme))
            #expect(refused.status == 200)
            let partial = try Self.partialSuccess(refused.body)
            #expect(partial.rejected == 1)
            #expect(partial.message.contains("may publish to acme only, not beta"), "\(partial.message)")
        }
    }

    /// gzip through the system's `gzip`, as an exporter would compress.
    func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-c"]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(bytes))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Array(data)
    }
}
