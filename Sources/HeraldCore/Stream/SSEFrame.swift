/// Server-Sent Events framing (WHATWG HTML, "Server-sent events").
///
/// Event JSON never contains a raw newline (Herald stores it compact), so `data:` is always one line.
public enum SSEFrame {
    /// `id: <id>\nevent: <type>\ndata: <json>\n\n`; without a type, no `event:` line (the frame
    /// is then a plain `message` event).
    public static func event(id: String?, type: String?, data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(data.count + (type?.utf8.count ?? 0) + 40)
        if let id {
            out.append(contentsOf: "id: ".utf8)
            out.append(contentsOf: id.utf8)
            out.append(0x0A)
        }
        if let type {
            out.append(contentsOf: "event: ".utf8)
            out.append(contentsOf: type.utf8)
            out.append(0x0A)
        }
        out.append(contentsOf: "data: ".utf8)
        out.append(contentsOf: data)
        out.append(contentsOf: "\n\n".utf8)
        return out
    }

    /// A run stream's frame for a stored event: the id is the run seq.
    public static func run(_ event: Event) -> [UInt8] { Self.event(id: String(event.seq), type: event.type, data: event.json) }

    /// A project stream's frame: the id is the project position, a resume token across the
    /// project's runs that says nothing of other projects.
    public static func project(_ event: Event) -> [UInt8] {
        Self.event(id: String(event.projectPosition), type: event.type, data: event.json)
    }

    /// `retry: <ms>` tells EventSource how long to wait before reconnecting.
    public static func retry(milliseconds: Int) -> [UInt8] { Array("retry: \(milliseconds)\n\n".utf8) }

    /// A comment line: ignored by clients, keeps proxies and idle timeouts from closing the stream.
    public static let heartbeat: [UInt8] = Array(":heartbeat\n\n".utf8)
}
