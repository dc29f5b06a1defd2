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
        var last: (Int, String)?
        do {
            for try await page in eventPages(run: run, filter: filter, pageSize: 1_000) {
                for event in page.events {
                    guard let data = try? JSONSerialization.jsonObject(with: Data(event.data)) as? [String: Any],
                        data["file"] as? String == file, let number = data["lineNumber"] as? Int, let text = data["line"] as? String
                    else { continue }
                    last = (number, text)
                }
            }
        } catch let error as HeraldError where error.code == .runNotFound {
            return nil
        }
        return last
    }
}
