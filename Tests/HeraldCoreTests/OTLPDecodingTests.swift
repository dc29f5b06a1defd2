import HeraldTestSupport
import Testing

@testable import HeraldCore

@Suite("OTLP: decoding protobuf and JSON")
struct OTLPDecodingTests {
    func decode(_ bytes: [UInt8], maxDepth: Int = 32) throws(HeraldError) -> [OTLPSpan] {
        let result: Result<[OTLPSpan], HeraldError> = bytes.withUnsafeBufferPointer { buffer in
            do throws(HeraldError) { return .success(try OTLPTraces.decodeProtobuf(buffer, maxDepth: maxDepth)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    func decodeJSON(_ text: String) throws(HeraldError) -> [OTLPSpan] {
        let result: Result<[OTLPSpan], HeraldError> = Array(text.utf8).withUnsafeBufferPointer { buffer in
            do throws(HeraldError) {
                return .success(try OTLPTraces.decodeJSON(buffer, maxDepth: 64, maxStringBytes: 1 << 20))
            } catch { return .failure(error) }
        }
        return try result.get()
    }

    @Test func protobufRoundTripsEverySpanField() throws {
        let spans = OTLPSamples.agentTrace
        #expect(try decode(OTLPTraces.encodeProtobuf(spans)) == spans)
    }

    @Test func unknownFieldsOfEveryWireTypeAreSkipped() throws {
        var span = OTLPSamples.agentTrace[0]
        span.events = []
        var writer = ProtobufWriter()
        writer.messageField(1) { resource in
            resource.varintField(77, 5)  // unknown, in ResourceSpans
            resource.messageField(2) { scope in
                scope.messageField(2) { message in
                    OTLPTraces.encode(span, into: &message)
                    message.varintField(90, 1)
                    message.fixed64Field(91, 42)
                    message.stringField(92, "future field")
                    message.key(93, .fixed32)
                    message.varint(0)  // 4 bytes of fixed32 follow
                    message.varint(0)
                    message.varint(0)
                    message.varint(0)
                }
            }
        }
        var expected = span
        expected.resource = []
        expected.scope = ""
        #expect(try decode(writer.bytes) == [expected])
    }

    @Test func aTruncatedBodyIsRefusedAtEveryCutThatBreaksAField() throws {
        let body = OTLPTraces.encodeProtobuf(OTLPSamples.agentTrace)
        var refused = 0
        for length in 1..<body.count {
            do {
                _ = try decode(Array(body.prefix(length)))
            } catch {
                #expect(error.code == .invalidProtobuf)
                #expect(error.message.hasPrefix("malformed ExportTraceServiceRequest: byte "))
                refused += 1
            }
        }
        // The body is one ResourceSpans: every cut breaks it.
        #expect(refused == body.count - 1)
    }

    @Test func aKnownFieldWithTheWrongWireTypeIsRefused() throws {
        var writer = ProtobufWriter()
        writer.messageField(1) { resource in
            resource.messageField(2) { scope in
                scope.messageField(2) { span in span.varintField(5, 7) }  // name as a varint
            }
        }
        let error = try #require(throws: HeraldError.self) { try decode(writer.bytes) }
        #expect(error.code == .invalidProtobuf)
        #expect(error.message.contains("span.name has wire type 0, not 2"))
    }

    @Test func groupWireTypesAndOverlongVarintsAreRefused() throws {
        for bytes: [UInt8] in [[0x0B], [0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F], [0x00, 0x01]] {
            let error = try #require(throws: HeraldError.self) { try decode(bytes) }
            #expect(error.code == .invalidProtobuf)
        }
    }

    @Test func attributeValuesNestedPastTheLimitAreRefused() throws {
        var value = OTLPValue.string("deep")
        for _ in 0..<40 { value = .array([value]) }
        var span = OTLPSamples.agentTrace[0]
        span.attributes = [OTLPAttribute("deep", value)]
        let error = try #require(throws: HeraldError.self) { try decode(OTLPTraces.encodeProtobuf([span]), maxDepth: 32) }
        #expect(error.message.contains("nest deeper than 32 levels"))
        #expect(try decode(OTLPTraces.encodeProtobuf([span]), maxDepth: 64).count == 1)
    }

    /// Deterministic mutations of a valid body (flipped, inserted and removed bytes): each decodes
    /// or is refused as invalid_protobuf, and whatever decodes maps to events that encode.
    @Test func mutatedBodiesNeverCrashTheDecoderOrTheMapping() throws {
        let body = OTLPTraces.encodeProtobuf(OTLPSamples.agentTrace)
        var random = SeededGenerator(seed: 20_261_207)
        var decoded = 0
        for _ in 0..<3000 {
            var mutated = body
            for _ in 0..<(1 + Int(random.next() % 4)) {
                let position = Int(random.next() % UInt64(mutated.count))
                switch random.next() % 3 {
                case 0: mutated[position] = UInt8(truncatingIfNeeded: random.next())
                case 1: mutated.insert(UInt8(truncatingIfNeeded: random.next()), at: position)
                default: mutated.remove(at: position)
                }
            }
            do {
                let spans = try decode(mutated)
                decoded += 1
                let mapped = SpanMapping(defaultProject: "default").map(spans)
                #expect(throws: Never.self) { try JSONValue.array(mapped.events).encoded() }
            } catch {
                #expect(error.code == .invalidProtobuf)
            }
        }
        #expect(decoded > 0)  // some mutations only touch values
    }

    // MARK: JSON

    static let jsonBody = """
        {"resourceSpans":[{"resource":{"attributes":[{"key":"herald.project","value":{"stringValue":"agents"}}]},
          "scopeSpans":[{"scope":{"name":"manual"},"spans":[
            {"traceId":"101112131415161718191A1B1C1D1E1F","spanId":"000000000000a001","parentSpanId":"",
             "name":"invoke_agent planner","kind":"SPAN_KIND_INTERNAL",
             "startTimeUnixNano":"1765000000000000000","endTimeUnixNano":1765000000030000000,
             "attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"invoke_agent"}},
                           {"key":"n","value":{"intValue":"-42"}},{"key":"d","value":{"doubleValue":"NaN"}},
                           {"key":"b","value":{"bytesValue":"yv4="}},
                           {"key":"l","value":{"kvlistValue":{"values":[{"key":"x","value":{"arrayValue":{"values":[{"boolValue":true}]}}}]}}}],
             "status":{"code":"STATUS_CODE_ERROR","message":"boom"},
             "events":[{"timeUnixNano":"1765000000020000000","name":"exception","attributes":[]}],
             "futureField":{"anything":[1,2,3]}}]}]}]}
        """

    @Test func jsonReadsHexIdsStringIntegersEnumNamesAndUnknownFields() throws {
        let spans = try decodeJSON(Self.jsonBody)
        let span = try #require(spans.first)
        #expect(span.traceId == OTLPSamples.trace)
        #expect(span.spanId == OTLPSamples.spanId(1))
        #expect(span.isRoot)
        #expect(span.kind == 1)
        #expect(span.startNanos == 1_765_000_000_000_000_000 && span.endNanos == 1_765_000_000_030_000_000)
        #expect(span["n"] == .int(-42))
        #expect(span["d"]?.text == "nan")
        #expect(span["b"] == .bytes([0xCA, 0xFE]))
        #expect(span["l"] == .keyValues([OTLPAttribute("x", .array([.bool(true)]))]))
        #expect(span.status == OTLPStatus(code: 2, message: "boom"))
        #expect(span.events.first?.name == "exception")
        #expect(span.resource("herald.project") == .string("agents"))
        #expect(span.scope == "manual")
    }

    @Test func anIdThatIsNeitherHexNorBase64IsLeftToTheMappingToRefuse() throws {
        let span = try #require(try decodeJSON(#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"xyz","spanId":"000000000000a001"}]}]}]}"#).first)
        #expect(span.traceId == Array("xyz".utf8))
        let mapped = SpanMapping(defaultProject: "default").map([span])
        #expect(mapped.events.isEmpty)
        #expect(mapped.refused.first?.reason.contains("traceId must be 16 bytes") == true)
    }

    @Test func jsonReadsBase64IdsAndSnakeCaseNames() throws {
        // EBESExQVFhcYGRobHB0eHw== is 0x10…0x1F; AAAAAAAAoAE= is 00 00 00 00 00 00 a0 01.
        let body = #"{"resource_spans":[{"scope_spans":[{"spans":[{"trace_id":"EBESExQVFhcYGRobHB0eHw==","span_id":"AAAAAAAAoAE=","name":"x","kind":3}]}]}]}"#
        let span = try #require(try decodeJSON(body).first)
        #expect(span.traceId == OTLPSamples.trace)
        #expect(span.spanId == OTLPSamples.spanId(1))
        #expect(span.kind == 3)
    }

    @Test("malformed or mistyped OTLP/JSON is a clear 400", arguments: [
        (#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"kind":"SPAN_KIND_BOGUS"}]}]}]}"#, "kind SPAN_KIND_BOGUS is not one of"),
        (#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":-5}]}]}]}"#, "startTimeUnixNano must be a non-negative integer"),
        (#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":7}]}]}]}"#, "name must be a string"),
        (#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"x"}"#, "malformed JSON"),
        ("[]", "expected an ExportTraceServiceRequest object"),
    ])
    func jsonRefusals(body: String, message: String) throws {
        let error = try #require(throws: HeraldError.self) { try decodeJSON(body) }
        #expect(error.code.status == 400)
        #expect(error.message.contains(message), "\(error.message)")
    }
}
