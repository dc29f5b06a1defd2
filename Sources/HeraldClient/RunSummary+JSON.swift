import HeraldCore

extension RunSummary {
    /// The run in the API's own shape and field order, on one line.
    public var json: [UInt8] {
        var writer = JSONWriter()
        writer.raw("{\"run\":")
        writer.string(run)
        writer.raw(",\"project\":")
        writer.string(project)
        writer.raw(",\"name\":")
        if let name { writer.string(name) } else { writer.raw("null") }
        writer.raw(",\"status\":")
        writer.string(status.rawValue)
        writer.raw(",\"startedAt\":")
        writer.string(startedAt.rfc3339)
        writer.raw(",\"updatedAt\":")
        writer.string(updatedAt.rfc3339)
        writer.raw(",\"finishedAt\":")
        if let finishedAt { writer.string(finishedAt.rfc3339) } else { writer.raw("null") }
        writer.raw(",\"eventCount\":")
        writer.integer(eventCount)
        writer.raw(",\"lastSeq\":")
        writer.integer(lastSeq)
        writer.raw(",\"agents\":")
        writer.stringArray(agents)
        writer.raw(",\"subscribers\":")
        writer.integer(subscribers)
        writer.raw("}")
        return writer.bytes
    }
}
