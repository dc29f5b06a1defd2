/// Synthetic events with the mix and shape an agent orchestrator emits: log lines, step
/// progress, thoughts, actions, decisions, state changes, tool calls and the odd milestone,
/// from a planner and a few workers, each with a `data` payload of about the requested size.
///
/// Deterministic for a given seed, so two runs of a bench send the same events.
struct EventFactory: Sendable {
    static let agents = ["planner", "worker-1", "worker-2", "worker-3", "worker-4", "worker-5", "worker-6", "worker-7"]

    /// The mix, in events per 100.
    static let kinds: [(type: String, weight: Int)] = [
        ("agent.log", 40), ("step.progress", 15), ("thought", 10), ("action", 10), ("decision", 8), ("state", 8),
        ("tool.call_result", 7), ("milestone.phase_transition", 1), ("task.status_changed", 1),
    ]

    /// About how many bytes each event's `data` object takes.
    var payloadBytes: Int
    private var random: SplitMix64
    private var counter = 0

    init(payloadBytes: Int, seed: UInt64) {
        self.payloadBytes = payloadBytes
        self.random = SplitMix64(seed: seed)
    }

    /// A JSON array of `count` events, spread round-robin over `runs`.
    mutating func batch(count: Int, runs: [String]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "[")]
        out.reserveCapacity(count * (payloadBytes + 120))
        for index in 0..<count {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: event(run: runs[(counter + index) % runs.count]).utf8)
        }
        counter += count
        out.append(UInt8(ascii: "]"))
        return out
    }

    /// One event object for `run`.
    mutating func event(run: String) -> String {
        let type = pickType()
        let agent = Self.agents[Int(random.next() % UInt64(Self.agents.count))]
        let turn = random.next() % 50
        let fields: String
        let textField: String
        switch type {
        case "agent.log":
            fields = "\"lineNumber\":\(1 + random.next() % 100_000)"
            textField = "line"
        case "step.progress":
            fields = "\"stepId\":\"step-\(random.next() % 20)\",\"percent\":\(random.next() % 101)"
            textField = "label"
        case "action":
            fields = "\"actionType\":\"shell\""
            textField = "payload"
        case "decision":
            fields = "\"decisionType\":\"route\",\"oldValue\":\"draft\",\"newValue\":\"review\""
            textField = "reason"
        case "state":
            fields = "\"variable\":\"budget.tokens\",\"old\":\(random.next() % 10_000),\"new\":\(random.next() % 10_000)"
            textField = "scope"
        case "tool.call_result":
            fields = "\"toolCallId\":\"call-\(random.next() % 1000)\",\"messageId\":\"msg-\(random.next() % 1000)\""
            textField = "content"
        case "milestone.phase_transition":
            fields = "\"from\":\"plan\",\"to\":\"execute\""
            textField = "note"
        case "task.status_changed":
            fields = "\"taskId\":\"task-\(random.next() % 100)\",\"old\":\"running\",\"new\":\"blocked\""
            textField = "note"
        default:
            fields = ""
            textField = "content"
        }
        // `{"<fields>,"<textField>":"<filler>"}` sized to about payloadBytes.
        let fixed = fields.utf8.count + textField.utf8.count + 8
        let separator = fields.isEmpty ? "" : ","
        let data = "{\(fields)\(separator)\"\(textField)\":\"\(filler(max(8, payloadBytes - fixed)))\"}"
        return "{\"run\":\"\(run)\",\"type\":\"\(type)\",\"agent\":\"\(agent)\",\"turn\":\(turn),\"data\":\(data)}"
    }

    private mutating func pickType() -> String {
        var roll = Int(random.next() % 100)
        for kind in Self.kinds {
            if roll < kind.weight { return kind.type }
            roll -= kind.weight
        }
        return Self.kinds[0].type
    }

    private static let words = [
        "plan", "tool", "result", "token", "context", "retry", "agent", "search", "patch", "review", "tests", "passed",
        "diff", "merge", "budget", "reason", "step", "call", "file", "query",
    ]

    /// Plain ASCII words, no escaping needed, exactly `length` bytes.
    private mutating func filler(_ length: Int) -> String {
        var text = ""
        text.reserveCapacity(length + 10)
        while text.utf8.count < length {
            if !text.isEmpty { text += " " }
            text += Self.words[Int(random.next() % UInt64(Self.words.count))]
        }
        return String(text.utf8.prefix(length))!
    }
}

/// A tiny, fast, seedable generator (Steele, Lea and Flood's SplitMix64).
struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
