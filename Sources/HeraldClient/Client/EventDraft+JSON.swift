import HeraldCore

extension EventDraft {
    /// The draft as an ingest event object, on one line.
    ///
    /// `level` is written only when it differs from the type's default, and `project` only when
    /// it is not `default`, so the server fills them exactly as for a hand-written event.
    public var json: [UInt8] {
        var writer = JSONWriter(capacity: 128 + data.count)
        writer.raw("{")
        if let id {
            writer.raw("\"id\":")
            writer.string(id)
            writer.raw(",")
        }
        if project != "default" {
            writer.raw("\"project\":")
            writer.string(project)
            writer.raw(",")
        }
        writer.raw("\"run\":")
        writer.string(run)
        writer.raw(",\"type\":")
        writer.string(type)
        if level != Vocabulary.defaultLevel(for: type) {
            writer.raw(",\"level\":")
            writer.string(level.name)
        }
        if let time {
            writer.raw(",\"time\":")
            writer.string(time.rfc3339)
        }
        if let agent {
            writer.raw(",\"agent\":")
            writer.string(agent)
        }
        if let turn {
            writer.raw(",\"turn\":")
            writer.integer(turn)
        }
        if !causedBy.isEmpty {
            writer.raw(",\"causedBy\":")
            writer.stringArray(causedBy)
        }
        if let expectedSeq {
            writer.raw(",\"expectedSeq\":")
            writer.integer(expectedSeq)
        }
        writer.raw(",\"data\":")
        if data.isEmpty { writer.raw("{}") } else { writer.compactedData(data) }
        writer.raw("}")
        return writer.bytes
    }
}

extension Collection<EventDraft> {
    /// The drafts as NDJSON: each event object on its own line, newline-terminated.
    public var ndjson: [UInt8] {
        var body: [UInt8] = []
        body.reserveCapacity(reduce(0) { $0 + $1.data.count + 160 })
        for draft in self {
            body.append(contentsOf: draft.json)
            body.append(0x0A)
        }
        return body
    }
}

extension JSONWriter {
    /// Appends `data` on one line: NDJSON cannot carry a payload with raw newlines in it.
    mutating func compactedData(_ data: [UInt8]) {
        if data.contains(0x0A) || data.contains(0x0D) {
            data.withUnsafeBufferPointer { compacted($0) }
        } else {
            raw(data)
        }
    }
}
