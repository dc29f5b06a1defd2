import Testing

@testable import HeraldCore

@Suite("Vocabulary")
struct VocabularyTests {
    /// What the product contract asks of each built-in type: default level, agent, turn, required data fields.
    struct Expectation: Sendable, CustomTestStringConvertible {
        var type: String
        var level: Level
        var agent = false
        var turn = false
        var required: [String] = []
        /// At least one of these must be present.
        var oneOf: [String] = []
        var testDescription: String { type }
    }

    static let expectations: [Expectation] = [
        .init(type: "run.queued", level: .milestone),
        .init(type: "run.started", level: .milestone),
        .init(type: "run.completed", level: .milestone),
        .init(type: "run.failed", level: .milestone, required: ["error"]),
        .init(type: "run.cancelled", level: .milestone),
        .init(type: "milestone.turn_start", level: .milestone, turn: true),
        .init(type: "milestone.turn_end", level: .milestone, turn: true),
        .init(type: "milestone.phase_transition", level: .milestone, required: ["to"]),
        .init(type: "decision", level: .decision, agent: true, required: ["decisionType", "newValue"]),
        .init(type: "action", level: .action, agent: true, required: ["actionType"]),
        .init(type: "state", level: .state, required: ["variable", "new"]),
        .init(type: "detail", level: .detail, required: ["calculationType"]),
        .init(type: "task.started", level: .decision, required: ["taskId"]),
        .init(type: "task.completed", level: .decision, required: ["taskId"]),
        .init(type: "task.failed", level: .decision, required: ["taskId", "error"]),
        .init(type: "task.status_changed", level: .decision, required: ["taskId", "old", "new"]),
        .init(type: "task.subtask_status_changed", level: .decision, required: ["taskId", "subtaskId", "old", "new"]),
        .init(type: "task.subtask_unblocked", level: .decision, required: ["taskId", "subtaskId", "unblockedBy"]),
        .init(type: "step.queued", level: .action, required: ["stepId"]),
        .init(type: "step.started", level: .action, required: ["stepId"]),
        .init(type: "step.progress", level: .action, required: ["stepId", "percent"]),
        .init(type: "step.completed", level: .action, required: ["stepId"]),
        .init(type: "step.failed", level: .action, required: ["stepId", "code", "message"]),
        .init(type: "agent.started", level: .milestone, agent: true),
        .init(type: "agent.log", level: .detail, agent: true, required: ["line"]),
        .init(type: "agent.completed", level: .milestone, agent: true),
        .init(type: "agent.failed", level: .milestone, agent: true, required: ["error", "willRetry"]),
        .init(type: "reflection", level: .decision, oneOf: ["content", "done", "gaps", "newTasks"]),
        .init(type: "thought", level: .detail, oneOf: ["content", "text"]),
        .init(type: "message.started", level: .action, required: ["messageId"]),
        .init(type: "message.delta", level: .detail, required: ["messageId", "delta"]),
        .init(type: "message.completed", level: .action, required: ["messageId"]),
        .init(type: "tool.call_started", level: .action, required: ["toolCallId", "toolCallName"]),
        .init(type: "tool.call_args", level: .detail, required: ["toolCallId", "delta"]),
        .init(type: "tool.call_completed", level: .action, required: ["toolCallId"]),
        .init(type: "tool.call_result", level: .action, required: ["toolCallId", "messageId", "content"]),
        .init(type: "state.snapshot", level: .state, required: ["snapshot"]),
        .init(type: "state.delta", level: .state, required: ["delta"]),
        .init(type: "reasoning.started", level: .detail, required: ["messageId"]),
        .init(type: "reasoning.message_started", level: .detail, required: ["messageId"]),
        .init(type: "reasoning.delta", level: .detail, required: ["messageId", "delta"]),
        .init(type: "reasoning.message_completed", level: .detail, required: ["messageId"]),
        .init(type: "reasoning.completed", level: .detail, required: ["messageId"]),
    ]

    /// A valid JSON value for a field of `kind`.
    static func sample(_ kind: Vocabulary.FieldKind) -> String {
        switch kind {
        case .string: #""x""#
        case .integer(let range): String(range.lowerBound)
        case .number(let range): String(range.upperBound)
        case .bool: "false"
        case .any: #"{"nested":[1]}"#
        case .oneOf(let values): #""\#(values[0])""#
        case .jsonPatch: #"[{"op":"add","path":"/a","value":1}]"#
        case .stringOrArray: #"[{"type":"text","text":"x"}]"#
        }
    }

    /// An event body of `type` with the given top-level extras and data members.
    static func body(_ type: String, agent: Bool, turn: Bool, data: [(String, String)]) -> String {
        var members = [#""run":"r""#, #""type":"\#(type)""#]
        if agent { members.append(#""agent":"a1""#) }
        if turn { members.append(#""turn":0"#) }
        members.append(#""data":{"# + data.map { #""\#($0.0)":\#($0.1)"# }.joined(separator: ",") + "}")
        return "{" + members.joined(separator: ",") + "}"
    }

    @Test("the rules cover exactly the built-in types")
    func coverage() {
        #expect(Set(Vocabulary.rules.keys) == Set(Self.expectations.map(\.type)))
    }

    @Test("each built-in type's requirements", arguments: expectations)
    func rule(_ expected: Expectation) throws {
        let rule = try #require(Vocabulary.rules[expected.type])
        #expect(rule.level == expected.level)
        #expect(rule.needsAgent == expected.agent)
        #expect(rule.needsTurn == expected.turn)
        #expect(rule.fields.filter(\.required).map(\.name) == expected.required)
        #expect(Vocabulary.defaultLevel(for: expected.type) == expected.level)
        #expect(Vocabulary.isBuiltin(expected.type))

        #expect(rule.atLeastOneOf == expected.oneOf)
        var data = rule.fields.filter(\.required).map { ($0.name, Self.sample($0.kind)) }
        for name in expected.oneOf {
            let field = try #require(rule.fields.first { $0.name == name })
            let alone = Self.body(expected.type, agent: expected.agent, turn: expected.turn, data: data + [(name, Self.sample(field.kind))])
            #expect(parseError(alone) == nil, "\(name) alone is enough")
        }
        if !expected.oneOf.isEmpty {
            let none = Self.body(expected.type, agent: expected.agent, turn: expected.turn, data: data)
            #expect(parseError(none)?.problems == ["0:data:required"])
            data.append((expected.oneOf[0], Self.sample(.string)))
        }
        let valid = Self.body(expected.type, agent: expected.agent, turn: expected.turn, data: data)
        let draft = try #require(try parse(valid).first)
        #expect(draft.level == expected.level)

        if expected.agent {
            let body = Self.body(expected.type, agent: false, turn: expected.turn, data: data)
            #expect(parseError(body)?.problems == ["0:agent:required"])
        }
        if expected.turn {
            let body = Self.body(expected.type, agent: expected.agent, turn: false, data: data)
            #expect(parseError(body)?.problems == ["0:turn:required"])
        }
        for field in rule.fields where field.required {
            let others = data.filter { $0.0 != field.name }
            let without = Self.body(expected.type, agent: expected.agent, turn: expected.turn, data: others)
            #expect(parseError(without)?.problems == ["0:data.\(field.name):required"])
            // null stands for "missing" in typed fields (`.any` fields: see nullForAnyField).
            if !field.kind.isAny {
                let null = Self.body(expected.type, agent: expected.agent, turn: expected.turn, data: others + [(field.name, "null")])
                #expect(parseError(null)?.problems == ["0:data.\(field.name):required"])
            }
        }
        for field in rule.fields where field.kind.isString {
            let others = data.filter { $0.0 != field.name }
            let wrong = Self.body(expected.type, agent: expected.agent, turn: expected.turn, data: others + [(field.name, "1")])
            #expect(parseError(wrong)?.problems == ["0:data.\(field.name):invalid_type"])
        }
    }

    @Test(
        "typed data fields",
        arguments: [
            ("step.progress", #""stepId":"s","percent":0"#, nil),
            ("step.progress", #""stepId":"s","percent":99.5"#, nil),
            ("step.progress", #""stepId":"s","percent":100"#, nil),
            ("step.progress", #""stepId":"s","percent":100.5"#, "0:data.percent:invalid_value"),
            ("step.progress", #""stepId":"s","percent":-1"#, "0:data.percent:invalid_value"),
            ("step.progress", #""stepId":"s","percent":"50""#, "0:data.percent:invalid_type"),
            ("step.completed", #""stepId":"s","tokensUsed":1200,"artifactId":"a""#, nil),
            ("step.completed", #""stepId":"s","tokensUsed":-1"#, "0:data.tokensUsed:invalid_value"),
            ("step.completed", #""stepId":"s","tokensUsed":1.5"#, "0:data.tokensUsed:invalid_type"),
            ("step.completed", #""stepId":"s","tokensUsed":null"#, nil),
            ("agent.log", #""line":"x","lineNumber":1,"truncated":true"#, nil),
            ("agent.log", #""line":"x","lineNumber":0"#, "0:data.lineNumber:invalid_value"),
            ("agent.log", #""line":"x","truncated":"yes""#, "0:data.truncated:invalid_type"),
            ("agent.failed", #""error":"e","willRetry":"no""#, "0:data.willRetry:invalid_type"),
            ("message.started", #""messageId":"m","role":"assistant""#, nil),
            ("message.started", #""messageId":"m","role":"robot""#, "0:data.role:invalid_value"),
            ("message.started", #""messageId":"m","role":1"#, "0:data.role:invalid_type"),
            ("state.delta", #""delta":[]"#, nil),
            ("tool.call_result", #""toolCallId":"c","messageId":"m","content":"text""#, nil),
            ("tool.call_result", #""toolCallId":"c","messageId":"m","content":{"text":"x"}"#, "0:data.content:invalid_type"),
            ("tool.call_result", #""toolCallId":"c","messageId":"m","content":null"#, "0:data.content:required"),
            ("state.delta", #""delta":[{"op":"remove","path":""},{"op":"move","from":"/a~1b","path":"/c/-"},{"op":"test","path":"/x","value":null,"extra":1}]"#, nil),
            ("state.delta", #""delta":{"op":"add"}"#, "0:data.delta:invalid_type"),
            ("state.delta", #""delta":[{"op":"add","path":"/a"}]"#, "0:data.delta:invalid_patch"),
            ("state.delta", #""delta":[{"op":"upsert","path":"/a","value":1}]"#, "0:data.delta:invalid_patch"),
            ("state.delta", #""delta":[{"op":"add","path":"a","value":1}]"#, "0:data.delta:invalid_patch"),
            ("state.delta", #""delta":[{"op":"add","path":"/a~2","value":1}]"#, "0:data.delta:invalid_patch"),
            ("state.delta", #""delta":[{"op":"copy","path":"/a"}]"#, "0:data.delta:invalid_patch"),
            ("state.delta", #""delta":[1]"#, "0:data.delta:invalid_patch"),
            ("agent.log", #""line":"x","line":"y""#, "0:data.line:duplicate_field"),
            ("run.started", #""name":"n","extra":{"any":[1,2]}"#, nil),
            ("decision", #""decisionType":"t","oldValue":null,"newValue":[1]"#, nil),
        ] as [(String, String, String?)]
    )
    func typedFields(type: String, data: String, problem: String?) {
        let error = parseError(#"{"run":"r","type":"\#(type)","agent":"a","data":{\#(data)}}"#)
        #expect(error?.problems == problem.map { [$0] })
    }

    @Test(
        "null is a value for required fields that accept any JSON",
        arguments: [
            ("state", #""variable":"x","old":1,"new":null"#),
            ("decision", #""decisionType":"t","oldValue":1,"newValue":null"#),
        ] as [(String, String)]
    )
    func nullForAnyField(type: String, data: String) {
        let body = #"{"run":"r","type":"\#(type)","agent":"a","data":{\#(data)}}"#
        #expect(parseError(body)?.problems == nil)
    }

    @Test(
        "an unknown name in a reserved namespace is refused",
        arguments: ["run.complete", "task.done", "step.x", "agent.spawned", "milestone.start"]
    )
    func unknownReserved(type: String) throws {
        let error = try #require(parseError(#"{"run":"r","type":"\#(type)","agent":"a"}"#))
        #expect(error.code == .validationFailed)
        #expect(error.problems == ["0:type:unknown_type"])
        #expect(Vocabulary.isBuiltin(type))
    }

    @Test("the unknown_type message lists the family's types")
    func unknownMessage() throws {
        let error = try #require(parseError(#"{"run":"r","type":"run.complete"}"#))
        #expect(
            error.details.first?.message
                == "run.complete is not a built-in type; the run.* types are: run.cancelled, run.completed, run.failed, run.queued, run.started"
        )
    }

    @Test("custom types pass through unchecked", arguments: ["my.custom.thing", "run", "runs.x", "agents.log", "decision.extra", "thoughts", "x"])
    func custom(type: String) throws {
        let draft = try #require(try parse(#"{"run":"r","type":"\#(type)","data":{"line":1,"line":2}}"#).first)
        #expect(draft.level == .action)
        #expect(!Vocabulary.isBuiltin(type))
    }

    @Test(
        "system.* is open-ended; system.error needs errorType",
        arguments: [
            ("system.heartbeat", "", nil),
            ("system.retry", #""retryCount":3,"status":"ok","message":"m""#, nil),
            ("system.retry", #""retryCount":-1"#, "0:data.retryCount:invalid_value"),
            ("system.retry", #""retryCount":"3""#, "0:data.retryCount:invalid_type"),
            ("system.retry", #""status":5"#, "0:data.status:invalid_type"),
            ("system.error", #""errorType":"timeout","retryCount":2"#, nil),
            ("system.error", "", "0:data.errorType:required"),
            ("system.error", #""errorType":null"#, "0:data.errorType:required"),
            ("system.error", #""errorType":7"#, "0:data.errorType:invalid_type"),
        ] as [(String, String, String?)]
    )
    func system(type: String, data: String, problem: String?) throws {
        let body = #"{"run":"r","type":"\#(type)","data":{\#(data)}}"#
        #expect(parseError(body)?.problems == problem.map { [$0] })
        if problem == nil { #expect(try parse(body).first?.level == .system) }
        #expect(Vocabulary.isBuiltin(type))
        #expect(Vocabulary.defaultLevel(for: type) == .system)
    }

    @Test("terminal types")
    func terminal() {
        #expect(Vocabulary.terminalTypes == ["run.completed", "run.failed", "run.cancelled"])
        #expect(Vocabulary.isTerminal("run.failed"))
        #expect(!Vocabulary.isTerminal("run.started"))
        #expect(!Vocabulary.isTerminal("run.complete"))
    }

    @Test(
        "runName reads data.name of run.queued and run.started only",
        arguments: [
            ("run.started", #"{"goal":"g","name":"Nightly \"QA\""}"#, "Nightly \"QA\""),
            ("run.queued", #"{"name":"queued one"}"#, "queued one"),
            ("run.started", #"{"name":42}"#, nil),
            ("run.started", #"{}"#, nil),
            ("run.completed", #"{"name":"n"}"#, nil),
            ("my.thing", #"{"name":"n"}"#, nil),
        ] as [(String, String, String?)]
    )
    func runName(type: String, data: String, name: String?) {
        let draft = EventDraft(run: "r", type: type, data: Array(data.utf8))
        #expect(Vocabulary.runName(in: draft) == name)
    }
}

extension Vocabulary.FieldKind {
    var isString: Bool {
        if case .string = self { true } else { false }
    }

    var isAny: Bool {
        if case .any = self { true } else { false }
    }
}
