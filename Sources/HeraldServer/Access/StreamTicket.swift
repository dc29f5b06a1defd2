import HeraldCore

/// A stream ticket's claims: a short-lived, read-only pass to exactly one stream, so a page can
/// open an `EventSource` without a long-lived key in its URL (`POST /v1/stream-tickets`, then
/// `GET …/stream?ticket=`).
///
/// Tickets are stateless: the claims travel in the ticket, signed by ``StreamTicketSigner``.
/// A ticket only gates opening the stream: the stream then lives as long as the credential that
/// issued it (an API key until it is revoked, a JWT until its `exp`), and each reconnect needs a
/// new ticket.
struct StreamTicket: Sendable, Equatable, Codable {
    /// Which kind of stream the ticket opens.
    enum Stream: String, Sendable, Codable {
        case run
        case project
    }

    /// The claims' format; a ticket of another version is refused.
    static let version = 1

    var version = Self.version
    var stream: Stream
    var project: String
    /// The run, for a run stream.
    var run: String?
    /// Filter parameters bound to the ticket, as the stream's query takes them (`types`,
    /// `agents`, `level`, `logs`): the stream must be asked with exactly these. Those not bound
    /// are the reader's to choose.
    var filters: [String: String]
    /// When the ticket stops opening streams, in microseconds since 1970.
    var expiresAt: Int64
    /// The issuing credential's identity (`key:<id>`, `jwt:<subject>`, or the peer when
    /// authentication was off): the stream is counted, limited and logged as that caller.
    var issuer: String
    /// When the issuing credential expires (a JWT's `exp`), in microseconds; nil for API keys.
    var issuerExpiresAt: Int64?
    /// False when the ticket was issued without a credential (authentication was off).
    var authenticated: Bool

    enum CodingKeys: String, CodingKey {
        case version = "v"
        case stream = "s"
        case project = "p"
        case run = "r"
        case filters = "f"
        case expiresAt = "exp"
        case issuer = "iss"
        case issuerExpiresAt = "cexp"
        case authenticated = "auth"
    }

    /// The filter parameters a ticket may bind.
    static let bindableFilters = ["types", "agents", "level", "logs"]

    /// A ticket for `access` to one stream, valid for `lifetime` from `now` (and never past
    /// the issuing credential's own expiry).
    init(for access: Access, stream: Stream, project: String, run: String?, filters: [String: String], now: Timestamp, lifetime: Duration) {
        self.stream = stream
        self.project = project
        self.run = run
        self.filters = filters
        let microseconds = lifetime.components.seconds * 1_000_000 + lifetime.components.attoseconds / 1_000_000_000_000
        let ownExpiry = now.microseconds + microseconds
        self.expiresAt = min(ownExpiry, access.expiresAt?.microseconds ?? ownExpiry)
        self.issuer = access.identity
        self.issuerExpiresAt = access.expiresAt?.microseconds
        self.authenticated = access.authenticated
    }

    /// What a stream opened with the ticket may do: read its one project, as the issuing
    /// credential, until that credential expires (or its key is revoked).
    var access: Access {
        Access(
            identity: issuer, role: .read, projects: .only([project]), expiresAt: issuerExpiresAt.map(Timestamp.init(microseconds:)),
            authenticated: authenticated
        )
    }

    /// The stream, for messages: `run r1 of project acme`, `project acme's stream`.
    var streamDescription: String {
        if let run { return "run \(run) of project \(project)" }
        return "project \(project)'s stream"
    }
}
