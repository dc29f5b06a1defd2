import Foundation
import HeraldCore

extension Emitter {
    /// Publishes each line of `tailer` as an `agent.log` event (`line`, `lineNumber`, `logTime`,
    /// `truncated`, and `file`, the path it came from), in order, until the tailer ends.
    ///
    /// Waits for delivery every `window` lines, so a slow or absent server holds the reading
    /// back instead of filling the buffer and dropping lines.
    ///
    /// - Returns: how many lines were emitted.
    @discardableResult
    public func publish(_ tailer: LogTailer, file: String, agent: String? = nil, window: Int = 1_000) async throws -> Int {
        var count = 0
        for try await line in tailer {
            var data: [(String, JSONValue)] = [("line", .string(line.text)), ("lineNumber", .integer(Int64(line.number)))]
            if let logTime = line.logTime { data.append(("logTime", .string(logTime))) }
            if line.truncated { data.append(("truncated", true)) }
            data.append(("file", .string(file)))
            emit("agent.log", .object(data), agent: agent)
            count += 1
            if count % window == 0 { await flush() }
        }
        return count
    }
}

extension HeraldClient {
    /// The last `agent.log` line `agent` published into `run` from `file` (its `lineNumber` and
    /// text), or nil when there is none: where a restarted tailer resumes.
    public func lastLogLine(run: String, agent: String, file: String) async throws -> (lineNumber: Int, text: String)? {
        let filter = EventFilter(types: [.exact("agent.log")], agents: [agent])
        // Read backward from the newest line: the answer is usually on the first page.
        var before = Int64.max
        do {
            while true {
                let page = try await events(run: run, filter: filter, before: before, limit: 1_000)
                for event in page.events.reversed() {
                    guard let data = try? JSONSerialization.jsonObject(with: Data(event.data)) as? [String: Any],
                        data["file"] as? String == file, let number = data["lineNumber"] as? Int, let text = data["line"] as? String
                    else { continue }
                    return (number, text)
                }
                guard page.hasMore, let first = page.events.first else { return nil }
                before = first.seq
            }
        } catch let error as HeraldError where error.code == .runNotFound {
            return nil
        }
    }
}
