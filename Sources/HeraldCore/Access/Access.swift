/// What a key (or token) may do. Each role includes the ones before it.
public enum Role: String, Sendable, CaseIterable, Comparable {
    /// Query runs and events, follow streams.
    case read
    /// `read`, and publish events.
    case publish
    /// `publish`, and operate the server (`/metrics`).
    case admin

    public static func < (lhs: Role, rhs: Role) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// The projects a caller may reach.
public enum ProjectScope: Sendable, Equatable {
    /// Every project (an operator's key, or authentication off).
    case all
    case only(Set<String>)

    /// `*` stands for every project.
    public init(_ projects: some Sequence<String>) {
        let names = Set(projects)
        self = names.contains("*") ? .all : .only(names)
    }

    public func contains(_ project: String) -> Bool {
        switch self {
        case .all: true
        case .only(let projects): projects.contains(project)
        }
    }

    /// The project an event goes to when it names none: the only one, or `default`.
    public var defaultProject: String {
        if case .only(let projects) = self, projects.count == 1, let only = projects.first { return only }
        return "default"
    }

    /// For messages: `"a", "b"` or every project.
    public var description: String {
        switch self {
        case .all: "every project"
        case .only(let projects): projects.sorted().joined(separator: ", ")
        }
    }
}

/// Who is asking and what they may do, settled once per request.
public struct Access: Sendable, Equatable {
    /// Names the caller in limits, metrics and logs: a key id, `jwt:<subject>`, or the peer
    /// address when authentication is off. Never a secret.
    public var identity: String
    public var role: Role
    public var projects: ProjectScope
    /// When the credential stops being valid (a JWT's `exp`): a live stream opened with it ends
    /// then. Nil for API keys (they are revoked instead) and with authentication off.
    public var expiresAt: Timestamp?
    /// False when no credential was asked for (authentication was off): a live stream opened so
    /// ends once authentication turns on (the first key is created).
    public var authenticated: Bool

    public init(identity: String, role: Role, projects: ProjectScope, expiresAt: Timestamp? = nil, authenticated: Bool = true) {
        self.identity = identity
        self.role = role
        self.projects = projects
        self.expiresAt = expiresAt
        self.authenticated = authenticated
    }

    /// How an API key's identity begins: `key:<id>`.
    public static let keyIdentityPrefix = "key:"

    /// Authentication off (loopback without keys, or `--insecure-no-auth`): everything.
    public static func unrestricted(identity: String) -> Access {
        Access(identity: identity, role: .admin, projects: .all, authenticated: false)
    }

    /// Whether the caller may see `project`'s runs. A run outside the scope answers 404, as if
    /// it did not exist.
    public func canRead(_ project: String) -> Bool { projects.contains(project) }

    /// Throws 403 unless the role is at least `needed`.
    public func require(_ needed: Role) throws(HeraldError) {
        guard role >= needed else {
            throw HeraldError(.forbidden, "this \(role.rawValue) key may not \(needed.verb); that needs \(needed.withArticle) key")
        }
    }
}

extension Role {
    var withArticle: String { self == .admin ? "an admin" : "a \(rawValue)" }

    var verb: String {
        switch self {
        case .read: "read"
        case .publish: "publish events"
        case .admin: "operate the server"
        }
    }
}
