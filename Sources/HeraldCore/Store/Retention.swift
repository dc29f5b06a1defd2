/// How long runs are kept: by age and/or by a cap on each run's events.
public struct RetentionRule: Sendable, Equatable {
    /// A run whose last event is older than this is deleted whole.
    public var maxAge: Duration?
    /// A run keeps only its newest this-many events; older ones are deleted.
    public var maxEventsPerRun: Int?

    public init(maxAge: Duration? = nil, maxEventsPerRun: Int? = nil) {
        self.maxAge = maxAge
        self.maxEventsPerRun = maxEventsPerRun
    }
}

/// Retention for every project: a default rule and per-project ones (which replace it).
public struct RetentionPolicy: Sendable, Equatable {
    public var defaultRule: RetentionRule?
    public var projects: [String: RetentionRule]

    public init(defaultRule: RetentionRule? = nil, projects: [String: RetentionRule] = [:]) {
        self.defaultRule = defaultRule
        self.projects = projects
    }

    public var isEmpty: Bool { defaultRule == nil && projects.isEmpty }

    /// Adds one rule written as `[project:]max-age=30d,max-events=100000` (what `--retention` takes).
    public mutating func add(_ text: String) throws(HeraldError) {
        var project: String?
        var settings = Substring(text)
        if let colon = text.firstIndex(of: ":"), !text[..<colon].contains("=") {
            project = String(text[..<colon])
            settings = text[text.index(after: colon)...]
        }
        var rule = RetentionRule()
        for setting in settings.split(separator: ",") {
            let parts = setting.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { throw Self.invalid(text) }
            switch parts[0] {
            case "max-age":
                guard let age = Self.duration(parts[1]) else { throw Self.invalid(text) }
                rule.maxAge = age
            case "max-events":
                guard let count = Int(parts[1]), count > 0 else { throw Self.invalid(text) }
                rule.maxEventsPerRun = count
            default:
                throw Self.invalid(text)
            }
        }
        guard rule.maxAge != nil || rule.maxEventsPerRun != nil else { throw Self.invalid(text) }
        if let project, project != "*" {
            projects[project] = rule
        } else {
            defaultRule = rule
        }
    }

    /// `90s`, `30m`, `12h`, `7d`.
    static func duration(_ text: Substring) -> Duration? {
        guard let unit = text.last, let value = Int64(text.dropLast()), value > 0 else { return nil }
        switch unit {
        case "s": return .seconds(value)
        case "m": return .seconds(value * 60)
        case "h": return .seconds(value * 3600)
        case "d": return .seconds(value * 86_400)
        default: return nil
        }
    }

    private static func invalid(_ text: String) -> HeraldError {
        HeraldError(
            .invalidParameter,
            "retention rule \(text) is not [project:]max-age=<n>s|m|h|d and/or max-events=<n>, e.g. acme:max-age=30d,max-events=100000"
        )
    }
}

/// What one pruning pass removed.
public struct PruneResult: Sendable, Equatable {
    public var runsDeleted: Int
    public var eventsDeleted: Int
    /// False when the pass stopped at its limit and more is due: call again.
    public var isComplete: Bool

    public init(runsDeleted: Int = 0, eventsDeleted: Int = 0, isComplete: Bool = true) {
        self.runsDeleted = runsDeleted
        self.eventsDeleted = eventsDeleted
        self.isComplete = isComplete
    }
}
