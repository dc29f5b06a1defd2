/// The vocabulary as a reference for people (`docs/vocabulary.md`) and for programs (JSON, in
/// `Vocabulary+JSON.swift`), generated from ``Vocabulary/rules`` so that it cannot drift from
/// what ingest checks.
///
/// ```swift
/// print(Vocabulary.markdown)            // herald vocabulary --markdown > docs/vocabulary.md
/// print(String(decoding: Vocabulary.json, as: UTF8.self))   // herald vocabulary --json
/// ```
extension Vocabulary {
    /// One row of the "coming from …" table: a name a team writes today and Herald's.
    public struct Migration: Sendable {
        /// Where the name comes from (the kind of producer that writes it).
        public var source: String
        /// What they write.
        public var from: String
        /// What to write for Herald.
        public var to: String
        public var note: String
    }

    /// What the dashboard's run page shows for a type, beyond the row every event gets in its
    /// events list (see `Sources/HeraldServer/Dashboard`, docs/dashboard.md).
    public static let dashboard: [String: String] = [
        "run.queued": "run status: queued",
        "run.started": "run status: running; `data.name` titles the run",
        "run.completed": "run status: completed; success banner with `data.summary`",
        "run.failed": "run status: failed; failure banner with `data.error` and `data.code`",
        "run.cancelled": "run status: cancelled; banner with `data.reason`",
        "step.queued": "step card: queued, `data.label`",
        "step.started": "step card: running at 0 %, `data.label`",
        "step.progress": "step card: progress bar at `data.percent`, `data.label`",
        "step.completed": "step card: complete, tokens used and artifact id",
        "step.failed": "step card: error, `data.code: data.message`",
        "agent.started": "agent card: running, `data.role`",
        "agent.completed": "agent card: complete, `data.summary` and `data.prUrl`",
        "agent.failed": "agent card: error, `data.error`, will retry or not",
        "agent.log": "a line of the live log panel (line number, `[HH:MM:SS]` highlighted)",
        "task.started": "task card: planning or active, `data.title`; a task bar opens in the timeline",
        "task.status_changed": "task card: `data.old` → `data.new`, read as planning, active, done or failed",
        "task.completed": "task card: done; the task's bar closes",
        "task.failed": "task card: failed, `data.error`; an error marker; the end banner warns if the run completed",
        "task.subtask_status_changed": "task card: the subtask and its last status",
        "task.subtask_unblocked": "task card: what unblocked the subtask",
        "message.started": "conversation: a message opens; a message bar opens in the timeline",
        "message.delta": "conversation: appended to its message",
        "message.completed": "conversation: the message is done; its bar closes",
        "reasoning.delta": "conversation: collapsed under its message",
        "tool.call_started": "conversation: a tool call; a tool bar opens in the timeline",
        "tool.call_args": "conversation: the call's streamed arguments",
        "tool.call_result": "conversation: the call's result; its bar closes",
        "thought": "conversation: inline",
        "reflection": "conversation: inline",
        "decision": "timeline: a decision marker",
        "system.error": "timeline: an error marker, a retry marker when `data.retryCount` > 0",
    ]

    /// The names the teams Herald is built for write today, and Herald's.
    public static let migrations: [Migration] = [
        Migration(source: "print(json) emitter", from: "timestamp", to: "time", note: "accepted as an alias; needs a UTC offset (herald emit --stdin and herald import add the local one)"),
        Migration(source: "print(json) emitter", from: "task_started {task_id, description}", to: "task.started {taskId, title}", note: ""),
        Migration(source: "print(json) emitter", from: "task_completed {task_id, success, output}", to: "task.completed {taskId, result}", note: "task.failed {taskId, error} when success is false"),
        Migration(source: "print(json) emitter", from: "reflection {done, gaps, new_tasks}", to: "reflection {done, gaps, newTasks}", note: ""),
        Migration(source: "print(json) emitter", from: "thought {text}", to: "thought {text}", note: "or {content}"),
        Migration(source: "typed event models", from: "event_id, simulation_id, turn_number, agent_id, caused_by", to: "id, run, turn, agent, causedBy", note: "description and details go in data"),
        Migration(source: "typed event models", from: "MILESTONE {milestone_type: turn_start | turn_end | phase_transition}", to: "milestone.turn_start | milestone.turn_end | milestone.phase_transition", note: "turn_start and turn_end need turn"),
        Migration(source: "typed event models", from: "MILESTONE {milestone_type: simulation_start | simulation_end}", to: "run.started | run.completed", note: "run.completed ends the run's streams"),
        Migration(source: "typed event models", from: "DECISION {decision_type, old_value, new_value}", to: "decision {decisionType, oldValue, newValue}", note: "needs agent"),
        Migration(source: "typed event models", from: "ACTION {action_type, action_payload}", to: "action {actionType, payload}", note: "needs agent"),
        Migration(source: "typed event models", from: "STATE {variable_name, old_value, new_value, scope}", to: "state {variable, old, new, scope}", note: ""),
        Migration(source: "typed event models", from: "DETAIL {calculation_type, intermediate_values}", to: "detail {calculationType, intermediateValues}", note: ""),
        Migration(source: "typed event models", from: "SYSTEM {error_type, status, retry_count}", to: "system.error {errorType, status, retryCount}", note: "or system.<name> for other system events"),
        Migration(source: "typed event models", from: "verbosity MILESTONE < DECISION < ACTION < STATE < DETAIL", to: "level milestone < decision < action < state < detail", note: "defaulted from the type; readers filter with ?level="),
        Migration(source: "Go event hub", from: "agent:started", to: "agent.started", note: "needs agent"),
        Migration(source: "Go event hub", from: "agent:log {line, lineNumber}", to: "agent.log {line, lineNumber}", note: "herald tail-file publishes these"),
        Migration(source: "Go event hub", from: "agent:completed {prURL}", to: "agent.completed {prUrl}", note: ""),
        Migration(source: "Go event hub", from: "agent:failed {error, willRetry}", to: "agent.failed {error, willRetry}", note: ""),
        Migration(source: "Go event hub", from: "task:status_changed {taskID, oldStatus, newStatus}", to: "task.status_changed {taskId, old, new}", note: ""),
        Migration(source: "Go event hub", from: "subtask:status_changed", to: "task.subtask_status_changed {taskId, subtaskId, old, new}", note: ""),
        Migration(source: "Go event hub", from: "subtask:unblocked", to: "task.subtask_unblocked {taskId, subtaskId, unblockedBy}", note: ""),
        Migration(source: "SSE progress manager", from: "run_id, payload", to: "run, data", note: ""),
        Migration(source: "SSE progress manager", from: "queued {step_id, agent_type}", to: "step.queued {stepId, label}", note: "the agent type can be the event's agent"),
        Migration(source: "SSE progress manager", from: "running {step_id, progress_pct, progress_label}", to: "step.started, then step.progress {stepId, percent, label}", note: ""),
        Migration(source: "SSE progress manager", from: "complete {step_id, tokens_used, artifact_id}", to: "step.completed {stepId, tokensUsed, artifactId}", note: ""),
        Migration(source: "SSE progress manager", from: "error {step_id, error_code, message}", to: "step.failed {stepId, code, message}", note: ""),
        Migration(source: "SSE progress manager", from: "complete {run_id, all_done: true}", to: "run.completed", note: "run.failed {error, code} for the error flag"),
        Migration(source: "SSE progress manager", from: "heartbeat", to: "(nothing)", note: "Herald's streams send heartbeat comments themselves"),
    ]

    /// Herald's type for a type name another system writes (`agent:started` → `agent.started`),
    /// from ``migrations``, for the refusal to name the fix.
    public static func herald(typeFor foreign: String) -> String? {
        let migration = migrations.first { $0.from.split(separator: " ").first.map(String.init) == foreign }
        guard let name = migration?.to.split(separator: " ").first.map(String.init), Names.isValidType(name) else { return nil }
        return name
    }

    /// The fields a `system.error` event takes (`errorType` required).
    static var systemErrorFields: [Field] { [required("errorType")] + systemFields.dropFirst() }

    // MARK: Markdown

    /// `docs/vocabulary.md`.
    public static var markdown: String {
        var out = """
            # Vocabulary

            <!-- Generated by `herald vocabulary --markdown` from the server's rules (Sources/HeraldCore/Ingest/Vocabulary*.swift). Do not edit: a test fails when this file differs. -->

            Herald validates the built-in types below on ingest; any other well-formed type (a lowercase
            dotted name such as `my.custom_thing`) passes through unchecked. A name in a reserved
            namespace (`\(reservedPrefixes.map { $0 + "*" }.joined(separator: "`, `"))`) that is not listed is refused, so a typo
            such as `run.complete` cannot leave a run open. Every event also gets a row in the run page's
            events list; the last column says what else the page shows. Machine-readable:
            `herald vocabulary --json`.

            Levels, coarsest first: \(Level.allCases.map { "`\($0.name)`" }.joined(separator: " < ")) (`system` is always shown).

            | type | level | agent | turn | ends run | data | dashboard |
            | --- | --- | --- | --- | --- | --- | --- |

            """
        for (type, rule) in rules.sorted(by: { $0.key < $1.key }) {
            out += row(type, level: rule.level.name, agent: rule.needsAgent, turn: rule.needsTurn, fields: rule.fields, oneOf: rule.atLeastOneOf)
        }
        out += row("system.error", level: "system", agent: false, turn: false, fields: systemErrorFields, oneOf: [])
        out += row("system.*", level: "system", agent: false, turn: false, fields: systemFields, oneOf: [])
        out += """

            Data fields: **bold** is required; the kind follows the name. `any` takes any JSON value,
            including null. A field list with "one of" needs at least one of those fields.

            ## Names refused with a hint

            Ingest refuses these top-level fields and names Herald's field in the error:

            | written | Herald |
            | --- | --- |

            """
        for (from, to) in fieldRenames.sorted(by: { $0.key < $1.key }) { out += "| `\(from)` | `\(to)` |\n" }
        out += """

            `timestamp` is accepted as an alias of `time` (both given and different: 422). A time must
            carry a UTC offset (`Z`, `+00:00`, `+05:30`); one without (Python's `datetime.now().isoformat()`)
            is refused by the server with a hint, while `herald emit --stdin` and `herald import` read it
            in the local time zone of the machine they run on and send it as UTC. A time more than the
            server's `--max-clock-skew` (5 minutes by default) ahead of its clock is refused
            (`time_in_future`). `causedBy: null` is the same as no causes.

            Inside `data` of a built-in type, a required field missing while another spelling of it is
            present is refused with Herald's name:

            | written | Herald |
            | --- | --- |

            """
        for (from, to) in dataRenames.sorted(by: { $0.key < $1.key }) {
            out += "| `\(from)` | \(to.map { "`\($0)`" }.joined(separator: " or ")) |\n"
        }
        out += """

            A bare category is not a type:

            | written | hint |
            | --- | --- |

            """
        for (from, hint) in categoryHints.sorted(by: { $0.key < $1.key }) { out += "| `\(from)` | \(hint) |\n" }
        out += """

            An upper-case type that is not an AG-UI event type is refused with the lowercase name to use:
            a verbosity level written as a type (`MILESTONE`, `DECISION`, …) names the types of that level.

            ## Coming from …

            The names the teams Herald is built for write today, and Herald's. A lowercase name on the
            left (`task_started`, `running`, `complete`) is accepted as it is, as a custom type: stored and
            streamed, but unchecked, at level `action`, and without a card on the dashboard. Rename it to
            get those; `herald emit --stdin --run R` takes the lines meanwhile.

            | source | written today | Herald | note |
            | --- | --- | --- | --- |

            """
        for migration in migrations {
            // A `|` inside a cell, even in code, ends the cell unless escaped.
            let cells = [migration.source, "`\(migration.from)`", "`\(migration.to)`", migration.note]
                .map { $0.replacing("|", with: "\\|") }
            out += "| " + cells.joined(separator: " | ") + " |\n"
        }
        return out
    }

    private static func row(_ type: String, level: String, agent: Bool, turn: Bool, fields: [Field], oneOf: [String]) -> String {
        var data = fields.map { field in
            let name = field.required ? "**\(field.name)**" : field.name
            return "\(name) \(field.kind.name)"
        }.joined(separator: ", ")
        if !oneOf.isEmpty { data += "; one of \(oneOf.joined(separator: ", "))" }
        let cells = [
            "`\(type)`", level, agent ? "yes" : "", turn ? "yes" : "", isTerminal(type) ? "yes" : "",
            data.isEmpty ? "—" : data, dashboard[type] ?? "",
        ]
        return "| " + cells.joined(separator: " | ") + " |\n"
    }
}

extension Vocabulary.FieldKind {
    /// The kind as the markdown reference writes it.
    var name: String {
        switch self {
        case .string: "string"
        case .integer(let range): range.upperBound == .max ? "integer ≥ \(range.lowerBound)" : "integer \(range.lowerBound)…\(range.upperBound)"
        case .number(let range): "number \(range.lowerBound.jsonText)…\(range.upperBound.jsonText)"
        case .bool: "bool"
        case .any: "any"
        case .oneOf(let values): values.joined(separator: " \\| ")
        case .jsonPatch: "JSON Patch"
        case .stringOrArray: "string or array"
        }
    }
}

extension Double {
    /// `0`, `100`, `0.5`: without a trailing `.0` for whole numbers.
    var jsonText: String {
        self == rounded() && abs(self) < 1e15 ? String(Int64(self)) : String(self)
    }
}
