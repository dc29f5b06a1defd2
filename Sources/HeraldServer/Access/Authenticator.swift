import HeraldCore
import Hummingbird
import Logging
import Synchronization

/// Settles who is asking: API keys (`hk_…`) from the key ring, other bearer tokens as JWTs
/// when a JWT key is configured. Authentication is on whenever a key exists or a JWT key is
/// configured; with neither it is off, which `herald serve` allows on loopback only (or with
/// `--insecure-no-auth`). Once on, it stays on for the life of the process: revoking every
/// key never opens the server.
final class Authenticator: Sendable {
    enum Mode: Sendable {
        /// Keys or JWTs decide; with no key and no JWT key yet, callers are let in until the first key appears.
        case keys
        /// `--insecure-no-auth`: everything is open, keys are not checked.
        case off
    }

    let mode: Mode
    let keyRing: KeyRing
    let jwt: JWTVerifier?
    /// Signs and verifies stream tickets.
    let tickets: StreamTicketSigner
    private let required = Atomic<Bool>(false)
    private let logger: Logger

    init(mode: Mode, keyRing: KeyRing, jwt: JWTVerifier?, tickets: StreamTicketSigner, logger: Logger) {
        self.mode = mode
        self.keyRing = keyRing
        self.jwt = jwt
        self.tickets = tickets
        self.logger = logger
    }

    /// Whether requests must carry a credential (checked per request: the first key created
    /// while the server runs turns it on).
    var isRequired: Bool {
        guard mode == .keys else { return false }
        if required.load(ordering: .relaxed) { return true }
        guard canAuthenticate else { return false }
        if !required.exchange(true, ordering: .relaxed) {
            logger.notice("auth.on", metadata: ["reason": "\(jwt != nil ? "a JWT key is configured" : "API keys exist")"])
        }
        return true
    }

    /// Whether a credential could be checked: an API key exists or a JWT key is configured.
    /// Unlike ``isRequired`` it does not turn authentication on (nor log that it did).
    var canAuthenticate: Bool { jwt != nil || !keyRing.isEmpty }

    /// Whether `access`, settled earlier, still holds: its key not revoked since (as of the key
    /// ring's last refresh), its token not expired, or, when none was asked for, authentication
    /// still off. A live stream ends when it no longer does.
    func stillValid(_ access: Access, at now: Timestamp) -> Bool {
        if !access.authenticated { return !isRequired }
        if let expiresAt = access.expiresAt, now >= expiresAt { return false }
        return keyRing.isActive(identity: access.identity)
    }

    /// The access a bearer credential grants.
    func access(for token: Substring) async throws(HeraldError) -> Access {
        if APIKey.parse(token) != nil {
            guard let access = await keyRing.access(for: token) else {
                throw HeraldError(.invalidToken, "the API key is unknown or revoked")
            }
            return access
        }
        guard let jwt else { throw HeraldError(.invalidToken, "not an API key (hk_…), and this server accepts no JWTs") }
        return try await jwt.access(for: token)
    }

    /// The access a stream ticket grants on `request`: the ticket must be authentic, unexpired,
    /// for this very stream, and its issuing key not revoked since (nor its token expired).
    func access(forTicket text: String, request: Request) async throws(HeraldError) -> Access {
        let now = Timestamp.now()
        let ticket = try tickets.verify(text, at: now)
        try ticket.check(request)
        if ticket.authenticated {
            guard await keyRing.isActive(identity: ticket.issuer, reloadingUnknown: true) else {
                throw StreamTicketSigner.refusal("the API key that issued it has been revoked")
            }
            if let expiresAt = ticket.issuerExpiresAt, now.microseconds >= expiresAt {
                throw StreamTicketSigner.refusal("the token that issued it has expired")
            }
        } else if isRequired {
            throw StreamTicketSigner.refusal("it was issued while this server required no credential; fetch a new one with a key or token")
        }
        return ticket.access
    }

    /// The access the `--auth-cookie` cookie's JWT grants (verified as a bearer JWT is).
    func access(forCookie token: String) async throws(HeraldError) -> Access {
        guard APIKey.parse(Substring(token)) == nil else {
            throw HeraldError(.invalidToken, "the session cookie holds an API key: it must hold a JWT")
        }
        return try await access(for: Substring(token))
    }
}
