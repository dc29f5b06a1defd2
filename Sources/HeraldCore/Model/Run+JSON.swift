extension Run {
    /// Writes the run as the API answers it; `subscribers` is the live-stream presence count.
    public func write(to writer: inout JSONWriter, subscribers: Int) {
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
        writer.raw(",\"firstSeq\":")
        writer.integer(firstSeq)
        writer.raw(",\"agents\":")
        writer.stringArray(agents)
        writer.raw(",\"subscribers\":")
        writer.integer(subscribers)
        writer.raw("}")
    }
}

extension ProjectSummary {
    /// `{"project", "runs", "activeRuns", "updatedAt"}`, as `GET /v1/projects` lists it.
    public func write(to writer: inout JSONWriter) {
        writer.raw("{\"project\":")
        writer.string(project)
        writer.raw(",\"runs\":")
        writer.integer(runs)
        writer.raw(",\"activeRuns\":")
        writer.integer(activeRuns)
        writer.raw(",\"updatedAt\":")
        writer.string(updatedAt.rfc3339)
        writer.raw("}")
    }
}

extension AppendResult {
    /// `{"accepted": 3, "duplicates": 0, "events": [{"id": …, "run": …, "seq": 7}, …]}`; a partial
    /// request's answer adds each event's `index` in the request, and
    /// `"rejected": [{"index": 1, "code": …, "message": …, "details": […]}, …]`.
    public var json: [UInt8] {
        var writer = JSONWriter(capacity: 48 + placements.count * 64)
        writer.raw("{\"accepted\":")
        writer.integer(accepted)
        writer.raw(",\"duplicates\":")
        writer.integer(duplicates)
        writer.raw(",\"events\":[")
        for (index, placement) in placements.enumerated() {
            if index > 0 { writer.raw(",") }
            writer.raw("{\"id\":")
            writer.string(placement.id)
            writer.raw(",\"run\":")
            writer.string(placement.run)
            writer.raw(",\"seq\":")
            writer.integer(placement.seq)
            if placement.duplicate { writer.raw(",\"duplicate\":true") }
            if let indices, indices.indices.contains(index) {
                writer.raw(",\"index\":")
                writer.integer(indices[index])
            }
            writer.raw("}")
        }
        writer.raw("]")
        if indices != nil {
            writer.raw(",\"rejected\":[")
            for (position, rejection) in rejected.enumerated() {
                if position > 0 { writer.raw(",") }
                writer.raw("{\"index\":")
                writer.integer(rejection.index)
                writer.raw(",")
                rejection.error.writeMembers(to: &writer, emptyDetails: true)
                writer.raw("}")
            }
            writer.raw("]")
        }
        writer.raw("}")
        return writer.bytes
    }
}

extension EventPage {
    /// `{"events": [<event>, …], "total": 40, "hasMore": true}`, reusing each event's stored bytes.
    public var json: [UInt8] {
        var writer = JSONWriter(capacity: 48 + events.reduce(0) { $0 + $1.json.count + 1 })
        writer.raw("{\"events\":[")
        for (index, event) in events.enumerated() {
            if index > 0 { writer.raw(",") }
            writer.raw(event.json)
        }
        writer.raw("],\"total\":")
        writer.integer(total)
        writer.raw(",\"hasMore\":")
        writer.bool(hasMore)
        writer.raw("}")
        return writer.bytes
    }
}

extension Causality {
    /// `{"event": <event>, "upstream": […], "downstream": […], "dangling": […], "truncated": false}`
    public var json: [UInt8] {
        var writer = JSONWriter()
        func list(_ events: [Event]) {
            writer.raw("[")
            for (index, event) in events.enumerated() {
                if index > 0 { writer.raw(",") }
                writer.raw(event.json)
            }
            writer.raw("]")
        }
        writer.raw("{\"event\":")
        writer.raw(event.json)
        writer.raw(",\"upstream\":")
        list(upstream)
        writer.raw(",\"downstream\":")
        list(downstream)
        writer.raw(",\"dangling\":")
        writer.stringArray(dangling)
        writer.raw(",\"truncated\":")
        writer.bool(truncated)
        writer.raw("}")
        return writer.bytes
    }
}
