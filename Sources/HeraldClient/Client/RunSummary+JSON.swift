import HeraldCore

extension RunSummary {
    /// The run in the API's own shape and field order, on one line (written by the server's own encoder).
    public var json: [UInt8] {
        let run = Run(
            run: self.run, project: project, name: name, status: status, startedAt: startedAt, updatedAt: updatedAt,
            finishedAt: finishedAt, eventCount: eventCount, lastSeq: lastSeq, agents: agents
        )
        var writer = JSONWriter()
        run.write(to: &writer, subscribers: subscribers)
        return writer.bytes
    }
}
