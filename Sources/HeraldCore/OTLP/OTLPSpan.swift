/// One span of an OTLP `ExportTraceServiceRequest`, flattened: the resource and scope it came
/// with are folded into it, so the mapping sees one list of spans.
public struct OTLPSpan: Sendable, Equatable {
    /// 16 bytes (all zero is invalid, as OTLP says).
    public var traceId: [UInt8]
    /// 8 bytes.
    public var spanId: [UInt8]
    /// 8 bytes, or empty for a root span.
    public var parentSpanId: [UInt8] = []
    public var name = ""
    /// OTLP's SpanKind: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer.
    public var kind = 0
    public var startNanos: UInt64 = 0
    public var endNanos: UInt64 = 0
    public var attributes: [OTLPAttribute] = []
    public var events: [OTLPSpanEvent] = []
    public var status = OTLPStatus()
    /// The resource's attributes (`service.name`, `herald.project`, …).
    public var resource: [OTLPAttribute] = []
    /// The instrumentation scope's name (`pydantic-ai`, `openinference.instrumentation.langchain`, …).
    public var scope = ""

    public init(traceId: [UInt8], spanId: [UInt8]) {
        self.traceId = traceId
        self.spanId = spanId
    }

    public var isRoot: Bool { parentSpanId.isEmpty }

    /// The value of the span attribute `key`.
    public subscript(key: String) -> OTLPValue? {
        attributes.last { $0.key == key }?.value
    }

    /// The value of the resource attribute `key`.
    public func resource(_ key: String) -> OTLPValue? {
        resource.last { $0.key == key }?.value
    }
}

public struct OTLPAttribute: Sendable, Equatable {
    public var key: String
    public var value: OTLPValue

    public init(_ key: String, _ value: OTLPValue) {
        self.key = key
        self.value = value
    }
}

/// OTLP's `AnyValue`.
public indirect enum OTLPValue: Sendable, Equatable {
    case string(String)
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case array([OTLPValue])
    case keyValues([OTLPAttribute])
    case bytes([UInt8])
    /// An `AnyValue` with no value set.
    case empty

    public var string: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    public var int: Int64? {
        switch self {
        case .int(let value): value
        case .double(let value) where value.rounded() == value && abs(value) < 9e18: Int64(value)
        case .string(let text): Int64(text)
        default: nil
        }
    }

    /// The value as one line of text, for names and labels.
    public var text: String {
        switch self {
        case .string(let text): text
        case .bool(let value): String(value)
        case .int(let value): String(value)
        case .double(let value): String(value)
        case .bytes(let value): value.hexString
        case .empty: ""
        case .array, .keyValues: String(decoding: (try? json(maxDepth: 8).encoded()) ?? [], as: UTF8.self)
        }
    }

    /// The value as JSON: key-value lists become objects, bytes a hex string. Nesting past
    /// `maxDepth` becomes the string `"…"`, and non-finite doubles become strings, so the result
    /// always encodes.
    public func json(maxDepth: Int) -> JSONValue {
        switch self {
        case .string(let text): .string(text)
        case .bool(let value): .bool(value)
        case .int(let value): .integer(value)
        case .double(let value): value.isFinite ? .number(value) : .string(String(value))
        case .bytes(let value): .string(value.hexString)
        case .empty: .null
        case .array(let values):
            maxDepth <= 0 ? .string("…") : .array(values.map { $0.json(maxDepth: maxDepth - 1) })
        case .keyValues(let members):
            maxDepth <= 0 ? .string("…") : .object(members.map { ($0.key, $0.value.json(maxDepth: maxDepth - 1)) })
        }
    }
}

public struct OTLPSpanEvent: Sendable, Equatable {
    public var timeNanos: UInt64 = 0
    public var name = ""
    public var attributes: [OTLPAttribute] = []

    public init() {}

    public subscript(key: String) -> OTLPValue? {
        attributes.last { $0.key == key }?.value
    }
}

/// A span's status: code 0 unset, 1 ok, 2 error.
public struct OTLPStatus: Sendable, Equatable {
    public var code = 0
    public var message = ""

    public init(code: Int = 0, message: String = "") {
        self.code = code
        self.message = message
    }

    public var isError: Bool { code == 2 }
}

extension Collection<UInt8> {
    /// Lowercase hex, as OTLP/JSON and W3C trace context write ids.
    var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(count * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
