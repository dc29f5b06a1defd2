/// When a run that hears nothing more is ended as abandoned (`--run-idle-timeout`): a default
/// and per-project overrides. A queued or running run that has received no event for longer
/// than its project's timeout (by the server's clock, whatever `time` its events carry) gets `run.failed` with `data.code` `abandoned`, so its watchers end and
/// the board stops showing it as active.
public struct RunIdlePolicy: Sendable, Equatable {
    /// Nil: runs are never ended for silence.
    public var defaultTimeout: Duration?
    /// A project's own timeout; a nil value turns abandonment off for that project.
    public var projects: [String: Duration?]

    public init(defaultTimeout: Duration? = nil, projects: [String: Duration?] = [:]) {
        self.defaultTimeout = defaultTimeout
        self.projects = projects
    }

    /// What a server does unless told otherwise: an hour of silence ends a run.
    public static let standard = RunIdlePolicy(defaultTimeout: .seconds(3600))

    /// The timeout of `project`'s runs, nil when they never time out.
    public func timeout(for project: String) -> Duration? {
        if let own = projects[project] { return own }
        return defaultTimeout
    }

    /// Whether any run can time out at all.
    public var isOff: Bool { defaultTimeout == nil && projects.values.allSatisfy { $0 == nil } }

    /// The shortest timeout in force (what sets how often a server looks).
    public var shortest: Duration? { ([defaultTimeout] + Array(projects.values)).compactMap { $0 }.min() }

    /// Adds one rule written as `[project:]30m` or `[project:]off` (what `--run-idle-timeout` takes).
    public mutating func add(_ text: String) throws(HeraldError) {
        var project: String?
        var value = Substring(text)
        if let colon = text.lastIndex(of: ":") {
            project = String(text[..<colon])
            value = text[text.index(after: colon)...]
        }
        let timeout: Duration?
        if value == "off" || value == "0" {
            timeout = nil
        } else if let duration = RetentionPolicy.duration(value) {
            timeout = duration
        } else {
            throw HeraldError(
                .invalidParameter,
                "run idle timeout \(text) is not [project:]<n>s|m|h|d or [project:]off, e.g. 30m or nightly:6h"
            )
        }
        if let project, project != "*" {
            guard Names.isValidRun(project) else { throw HeraldError(.invalidParameter, "run idle timeout \(text): \(project) is not a project name") }
            projects[project] = .some(timeout)
        } else {
            defaultTimeout = timeout
        }
    }

    /// `run.failed`'s `data` for a run ended by this policy.
    public static func abandonment(after timeout: Duration) -> [UInt8] {
        var writer = JSONWriter()
        writer.raw("{\"error\":")
        writer.string("abandoned: no event for \(describe(timeout)) (--run-idle-timeout); its producer is presumed gone")
        writer.raw(",\"code\":\"abandoned\",\"idleSeconds\":")
        writer.integer(timeout.components.seconds)
        writer.raw("}")
        return writer.bytes
    }

    /// `90s`, `30m`, `2h`, `3d`: the largest whole unit.
    public static func describe(_ duration: Duration) -> String {
        let seconds = duration.components.seconds
        for (unit, size) in [("d", Int64(86_400)), ("h", 3600), ("m", 60)] where seconds >= size && seconds % size == 0 {
            return "\(seconds / size)\(unit)"
        }
        return "\(seconds)s"
    }
}
