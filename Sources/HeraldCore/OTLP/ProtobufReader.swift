/// Reads protobuf's wire format (proto3): tags, varints, fixed 32/64-bit values and
/// length-delimited fields, each checked against the bytes left. What a message does not know is
/// skipped, as protobuf requires; anything that runs past the end, or uses the retired group wire
/// types, is an error that names the byte offset.
///
/// Enough for OTLP's ``ExportTraceServiceRequest`` without a code generator or a runtime
/// dependency: the decoders in `OTLPTraces+Protobuf.swift` read fields by number.
public struct ProtobufReader {
    public enum WireType: UInt8, Sendable {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
        case fixed32 = 5
    }

    struct Malformed: Error, Equatable, CustomStringConvertible {
        var offset: Int
        var reason: String
        var description: String { "byte \(offset): \(reason)" }
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private(set) var offset: Int
    /// Where this message ends: the whole buffer, or the end of the length-delimited field read.
    private let end: Int

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.init(bytes, from: 0, to: bytes.count)
    }

    private init(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) {
        self.bytes = bytes
        self.offset = start
        self.end = end
    }

    var isAtEnd: Bool { offset >= end }

    /// The next field's number and wire type; nil at the end of the message.
    mutating func nextField() throws(Malformed) -> (number: UInt32, wireType: WireType)? {
        guard !isAtEnd else { return nil }
        let start = offset
        let key = try varint()
        let number = key >> 3
        guard number >= 1, number <= 536_870_911 else { throw Malformed(offset: start, reason: "field number \(number) is out of range") }
        guard let wireType = WireType(rawValue: UInt8(key & 7)) else {
            throw Malformed(offset: start, reason: "wire type \(key & 7) of field \(number) is not a proto3 wire type")
        }
        return (UInt32(number), wireType)
    }

    mutating func varint() throws(Malformed) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        let start = offset
        while offset < end {
            let byte = bytes[offset]
            offset += 1
            guard shift < 64, shift < 63 || byte <= 1 else { throw Malformed(offset: start, reason: "varint is longer than 64 bits") }
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
        throw Malformed(offset: start, reason: "varint runs past the end")
    }

    mutating func fixed64() throws(Malformed) -> UInt64 {
        guard end - offset >= 8 else { throw Malformed(offset: offset, reason: "fixed64 runs past the end") }
        var value: UInt64 = 0
        for index in 0..<8 { value |= UInt64(bytes[offset + index]) << (8 * UInt64(index)) }
        offset += 8
        return value
    }

    mutating func fixed32() throws(Malformed) -> UInt32 {
        guard end - offset >= 4 else { throw Malformed(offset: offset, reason: "fixed32 runs past the end") }
        var value: UInt32 = 0
        for index in 0..<4 { value |= UInt32(bytes[offset + index]) << (8 * UInt32(index)) }
        offset += 4
        return value
    }

    /// The bytes of a length-delimited field.
    mutating func lengthDelimited() throws(Malformed) -> UnsafeBufferPointer<UInt8> {
        let start = offset
        let length = try varint()
        guard length <= UInt64(end - offset) else {
            throw Malformed(offset: start, reason: "a field of \(length) bytes runs past the end")
        }
        let field = UnsafeBufferPointer(rebasing: bytes[offset..<(offset + Int(length))])
        offset += Int(length)
        return field
    }

    /// A reader of the embedded message in a length-delimited field, sharing offsets with this one
    /// so that errors name positions in the whole body.
    mutating func message() throws(Malformed) -> ProtobufReader {
        let start = offset
        let length = try varint()
        guard length <= UInt64(end - offset) else {
            throw Malformed(offset: start, reason: "a message of \(length) bytes runs past the end")
        }
        let nested = ProtobufReader(bytes, from: offset, to: offset + Int(length))
        offset += Int(length)
        return nested
    }

    mutating func string() throws(Malformed) -> String {
        let start = offset
        let field = try lengthDelimited()
        guard let text = String(validating: field, as: UTF8.self) else {
            throw Malformed(offset: start, reason: "a string field is not valid UTF-8")
        }
        return text
    }

    mutating func bytesField() throws(Malformed) -> [UInt8] { Array(try lengthDelimited()) }

    /// Skips a field this reader does not know.
    mutating func skip(_ wireType: WireType) throws(Malformed) {
        switch wireType {
        case .varint: _ = try varint()
        case .fixed64: _ = try fixed64()
        case .fixed32: _ = try fixed32()
        case .lengthDelimited: _ = try lengthDelimited()
        }
    }

    /// Throws unless the field has the wire type its schema gives it.
    func expect(_ wireType: WireType, is expected: WireType, field: String) throws(Malformed) {
        guard wireType == expected else {
            throw Malformed(offset: offset, reason: "\(field) has wire type \(wireType.rawValue), not \(expected.rawValue)")
        }
    }
}

/// Writes protobuf's wire format: enough for OTLP's answers (`ExportTraceServiceResponse`,
/// `google.rpc.Status`) and for tests that make requests.
public struct ProtobufWriter {
    public init() {}

    public private(set) var bytes: [UInt8] = []

    public mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    public mutating func key(_ number: UInt32, _ wireType: ProtobufReader.WireType) {
        varint(UInt64(number) << 3 | UInt64(wireType.rawValue))
    }

    public mutating func varintField(_ number: UInt32, _ value: UInt64) {
        key(number, .varint)
        varint(value)
    }

    public mutating func fixed64Field(_ number: UInt32, _ value: UInt64) {
        key(number, .fixed64)
        for index in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(index)))) }
    }

    public mutating func bytesField(_ number: UInt32, _ value: some Collection<UInt8>) {
        key(number, .lengthDelimited)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    public mutating func stringField(_ number: UInt32, _ value: String) { bytesField(number, Array(value.utf8)) }

    public mutating func messageField(_ number: UInt32, _ build: (inout ProtobufWriter) -> Void) {
        var nested = ProtobufWriter()
        build(&nested)
        bytesField(number, nested.bytes)
    }
}
