import Foundation
import HeraldCore

/// Turns a line a producer printed (`{"type": …, "data": …, "timestamp": …}`) into an ingest
/// event, on the producer's machine: `herald emit --stdin`.
///
/// - `run`, `project` and `agent` are added from the defaults when the line lacks them (or has
///   them null); a line's own values win.
/// - A `time` or `timestamp` without a UTC offset (Python's `datetime.now().isoformat()`) is
///   read in `timeZone` (the machine's zone by default) and rewritten as UTC. Only this side
///   can do it: the server does not know where the producer's clock is.
///
/// Every other member is copied byte for byte, so the server decides what it accepts.
///
/// ```swift
/// let line = EmitLine(run: "nightly-42")
/// let event = try line.prepare(Array(#"{"type":"thought","data":{"text":"hm"}}"#.utf8)).get()
/// ```
public struct EmitLine: Sendable {
    public var run: String?
    public var project: String?
    public var agent: String?
    /// The zone a time without an offset is read in.
    public var timeZone: TimeZone

    public init(run: String? = nil, project: String? = nil, agent: String? = nil, timeZone: TimeZone = .current) {
        self.run = run
        self.project = project
        self.agent = agent
        self.timeZone = timeZone
    }

    /// Why a line is not an event object.
    public struct Problem: Error, CustomStringConvertible {
        public var description: String
    }

    /// The ingest object for `line`, or why it is not an event object.
    public func prepare(_ line: [UInt8]) -> Result<[UInt8], Problem> {
        line.withUnsafeBufferPointer { buffer in
            var reader = JSONReader(buffer, maxDepth: .max, maxStringBytes: .max)
            var writer = JSONWriter(capacity: buffer.count + 64)
            var present: Set<String> = []
            var members = 0
            reader.skipWhitespace()
            guard reader.peek() == UInt8(ascii: "{") else {
                return .failure(Problem(description: "not a JSON object: \(Self.excerpt(buffer))"))
            }
            writer.raw("{")
            do throws(JSONSyntaxError) {
                try reader.readObject { (value: inout JSONReader, key: String) throws(JSONSyntaxError) in
                    value.skipWhitespace()
                    let start = value.offset
                    // A null run, project or agent is absent: the default takes its place.
                    if ["run", "project", "agent"].contains(key), value.readNull() { return }
                    var raw = Array(buffer[start..<value.offset])
                    if key == "time" || key == "timestamp", try value.peekKind() == .string {
                        let text = try value.readString()
                        if let utc = Self.utc(fromLocal: text, in: timeZone) {
                            var rewritten = JSONWriter(capacity: 32)
                            rewritten.string(utc.rfc3339)
                            raw = rewritten.bytes
                        } else {
                            raw = Array(buffer[start..<value.offset])
                        }
                    } else {
                        try value.skipValue()
                        raw = Array(buffer[start..<value.offset])
                    }
                    present.insert(key)
                    if members > 0 { writer.raw(",") }
                    members += 1
                    writer.string(key)
                    writer.raw(":")
                    writer.raw(raw)
                }
                reader.skipWhitespace()
                guard reader.isAtEnd else { return .failure(Problem(description: "unexpected data after the JSON object")) }
            } catch {
                return .failure(Problem(description: "malformed JSON: \(error.located(in: buffer))"))
            }
            for (key, value) in [("run", run), ("project", project), ("agent", agent)] where !present.contains(key) {
                guard let value else { continue }
                if members > 0 { writer.raw(",") }
                members += 1
                writer.string(key)
                writer.raw(":")
                writer.string(value)
            }
            writer.raw("}")
            return .success(writer.bytes)
        }
    }

    /// The UTC instant of `text`, a date and time without an offset, read in `zone`; nil when
    /// `text` is not such a time (it has an offset, or is no time at all). A wall time that a
    /// daylight-saving change skips or repeats is read with the offset in force just after it.
    public static func utc(fromLocal text: String, in zone: TimeZone) -> Timestamp? {
        guard Timestamp.lacksOffset(text), let wall = Timestamp(rfc3339: text + "Z") else { return nil }
        let wallSeconds = Double(wall.microseconds) / 1_000_000
        var offset = zone.secondsFromGMT(for: Date(timeIntervalSince1970: wallSeconds))
        let corrected = zone.secondsFromGMT(for: Date(timeIntervalSince1970: wallSeconds - Double(offset)))
        if corrected != offset { offset = corrected }
        return Timestamp(microseconds: wall.microseconds - Int64(offset) * 1_000_000)
    }

    private static func excerpt(_ buffer: UnsafeBufferPointer<UInt8>) -> String {
        let text = String(decoding: buffer.prefix(60), as: UTF8.self)
        return buffer.count > 60 ? text + "…" : text
    }
}
