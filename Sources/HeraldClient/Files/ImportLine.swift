import Foundation
import HeraldCore

/// Turns a line of an export (a stored event, as the API answers it) into an ingest event.
///
/// A stored event carries exactly the ingest fields plus `seq`, which the server assigns and
/// ingest refuses. So `seq` is removed, or, when the import must keep seqs, replaced by
/// `expectedSeq: seq - 1`, which makes the server refuse (409 `seq_conflict`) an event that
/// would land elsewhere. Every other member is copied byte for byte; unknown ones are kept, so
/// the server, not the importer, decides what it accepts.
enum ImportLine {
    /// Why a line is not an event object.
    struct Problem: Error, CustomStringConvertible {
        var description: String
    }

    /// The event's `type`; when it happened: its `time` (or `timestamp`), else the time in its
    /// ULID `id`, in microseconds; and whether its time has no UTC offset (`localTime`). Nil
    /// for what a line does not say or is not.
    static func peek(_ line: [UInt8], timeZone: TimeZone = .current) -> (type: String?, time: Int64?, localTime: Bool) {
        line.withUnsafeBufferPointer { buffer in
            var reader = JSONReader(buffer, maxDepth: .max, maxStringBytes: .max)
            var type: String?
            var time: Int64?
            var idTime: Int64?
            var localTime = false
            guard reader.peek() == UInt8(ascii: "{") else { return (nil, nil, false) }
            try? reader.readObject { (value: inout JSONReader, key: String) throws(JSONSyntaxError) in
                guard ["type", "time", "timestamp", "id"].contains(key), try value.peekKind() == .string else {
                    try value.skipValue()
                    return
                }
                let text = try value.readString()
                switch key {
                case "type": type = text
                case "id": idTime = ULID.milliseconds(of: text).map { $0 * 1000 }
                default:
                    if Timestamp.lacksOffset(text) {
                        localTime = true
                        time = time ?? EmitLine.utc(fromLocal: text, in: timeZone)?.microseconds
                    } else {
                        time = time ?? Timestamp(rfc3339: text)?.microseconds
                    }
                }
            }
            return (type, time ?? idTime, localTime)
        }
    }

    /// The ingest object for `line`, or the reason it is not an event object.
    static func prepare(_ line: [UInt8], keepSeq: Bool) -> Result<[UInt8], Problem> {
        line.withUnsafeBufferPointer { buffer in
            var reader = JSONReader(buffer, maxDepth: .max, maxStringBytes: .max)
            var writer = JSONWriter(capacity: buffer.count + 24)
            var seq: Int64?
            var members = 0
            guard reader.peek() == UInt8(ascii: "{") else { return .failure(Problem(description: "expected an event object")) }
            writer.raw("{")
            do throws(JSONSyntaxError) {
                try reader.readObject { (value: inout JSONReader, key: String) throws(JSONSyntaxError) in
                    if key == "seq" {
                        if try value.peekKind() == .number { seq = try value.readInteger() } else { try value.skipValue() }
                        return
                    }
                    value.skipWhitespace()
                    let start = value.offset
                    try value.skipValue()
                    if members > 0 { writer.raw(",") }
                    members += 1
                    writer.string(key)
                    writer.raw(":")
                    writer.raw(UnsafeBufferPointer(rebasing: buffer[start..<value.offset]))
                }
                guard reader.isAtEnd else { return .failure(Problem(description: "unexpected data after the event object")) }
            } catch {
                return .failure(Problem(description: "malformed JSON: \(error.located(in: buffer))"))
            }
            if keepSeq {
                guard let seq, seq >= 1 else { return .failure(Problem(description: "the event has no seq to keep")) }
                if members > 0 { writer.raw(",") }
                writer.raw("\"expectedSeq\":")
                writer.integer(seq - 1)
            }
            writer.raw("}")
            return .success(writer.bytes)
        }
    }
}
