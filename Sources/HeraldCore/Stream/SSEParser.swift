/// An incremental Server-Sent Events parser (the WHATWG "interpret the event stream" rules):
/// feed it bytes as they arrive, take complete messages out.
public struct SSEParser: Sendable {
    /// One dispatched event.
    public struct Message: Sendable, Equatable {
        /// The `id:` field of this message, if it had one.
        public var id: String?
        /// `event:` (default `message`).
        public var event: String
        public var data: String

        public init(id: String? = nil, event: String = "message", data: String) {
            self.id = id
            self.event = event
            self.data = data
        }
    }

    /// What the stream said, in order.
    public enum Item: Sendable, Equatable {
        case message(Message)
        /// A `:` comment line (Herald sends `:heartbeat`).
        case comment(String)
        /// A `retry:` reconnection delay in milliseconds.
        case retry(Int)
    }

    private var pending: [UInt8] = []
    private var id: String?
    private var event = ""
    private var data = ""
    private var hasData = false
    private var skipLeadingLineFeed = false
    /// The last event id seen, carried across messages (what a reconnect sends as `Last-Event-ID`).
    public private(set) var lastEventID: String?

    public init() {}

    /// Parses `bytes` and answers every item they complete.
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [Item] {
        var items: [Item] = []
        for byte in bytes {
            if skipLeadingLineFeed {
                skipLeadingLineFeed = false
                if byte == 0x0A { continue }
            }
            if byte == 0x0A || byte == 0x0D {
                skipLeadingLineFeed = byte == 0x0D
                line(String(decoding: pending, as: UTF8.self), into: &items)
                pending.removeAll(keepingCapacity: true)
            } else {
                pending.append(byte)
            }
        }
        return items
    }

    private mutating func line(_ line: String, into items: inout [Item]) {
        if line.isEmpty {
            if hasData {
                items.append(.message(Message(id: id, event: event.isEmpty ? "message" : event, data: data)))
            }
            id = nil
            event = ""
            data = ""
            hasData = false
            return
        }
        if line.hasPrefix(":") {
            items.append(.comment(String(line.dropFirst())))
            return
        }
        let field: Substring
        var value: Substring
        if let colon = line.firstIndex(of: ":") {
            field = line[..<colon]
            value = line[line.index(after: colon)...]
            if value.hasPrefix(" ") { value = value.dropFirst() }
        } else {
            field = Substring(line)
            value = ""
        }
        switch field {
        case "event": event = String(value)
        case "data":
            data += hasData ? "\n" + value : value
            hasData = true
        case "id" where !value.contains("\0"):
            id = String(value)
            lastEventID = String(value)
        case "retry":
            if let milliseconds = Int(value), milliseconds >= 0 { items.append(.retry(milliseconds)) }
        default: break
        }
    }
}
