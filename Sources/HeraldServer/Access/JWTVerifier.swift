#if JWT
import Foundation
import HeraldCore
import JWTKit

/// Verifies tokens minted elsewhere (an identity provider, another service) with one
/// configured key: an HS256 secret, or an RS256/ES256 public key in PEM. The claims name the
/// projects and the role:
///
/// ```json
/// {"sub": "ci-bot", "exp": 1767225600, "projects": ["acme"], "role": "publish"}
/// ```
/// `project` (one name) may stand for `projects`; `*` means every project. `exp` is required.
struct JWTVerifier: Sendable {
    private let keys: JWTKeyCollection
    let issuer: String?
    let audience: String?

    init(_ configuration: JWTConfiguration) async throws(HeraldError) {
        let keys = JWTKeyCollection()
        switch configuration.key {
        case .hs256(let secret):
            guard secret.count >= 32 else {
                throw HeraldError(.invalidParameter, "the HS256 secret is \(secret.count) bytes: it must be at least 32 (the hash's size)")
            }
            await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        case .publicKeyPEM(let pem):
            if let ecdsa = try? ES256PublicKey(pem: pem) {
                await keys.add(ecdsa: ecdsa)
            } else {
                do {
                    await keys.add(rsa: try Insecure.RSA.PublicKey(pem: pem), digestAlgorithm: .sha256)
                } catch {
                    throw HeraldError(.invalidParameter, "the JWT public key is neither an EC P-256 (ES256) nor an RSA (RS256, ≥ 2048 bits) key in PEM: \(error)")
                }
            }
        }
        self.keys = keys
        self.issuer = configuration.issuer
        self.audience = configuration.audience
    }

    /// The access a token grants; throws `invalid_token` with the reason otherwise.
    func access(for token: Substring) async throws(HeraldError) -> Access {
        let claims: Claims
        do {
            claims = try await keys.verify(String(token), as: Claims.self)
        } catch {
            throw HeraldError(.invalidToken, "the token was refused: \(Self.reason(error))")
        }
        if let issuer, claims.iss?.value != issuer {
            throw HeraldError(.invalidToken, "the token was refused: its issuer is not \(issuer)")
        }
        if let audience, !(claims.aud?.value.contains(audience) ?? false) {
            throw HeraldError(.invalidToken, "the token was refused: its audience does not include \(audience)")
        }
        guard let role = Role(rawValue: claims.role) else {
            throw HeraldError(.invalidToken, "the token's role \(claims.role) is none of read, publish, admin")
        }
        let projects = claims.projects ?? claims.project.map { [$0] } ?? []
        guard !projects.isEmpty else { throw HeraldError(.invalidToken, "the token names no project (claim projects or project)") }
        guard let subject = claims.sub?.value, !subject.isEmpty else {
            throw HeraldError(.invalidToken, "the token names no subject (sub): limits and logs need one")
        }
        let expiresAt = Timestamp(microseconds: Int64((claims.exp.value.timeIntervalSince1970 * 1_000_000).rounded(.down)))
        return Access(identity: "jwt:" + subject, role: role, projects: ProjectScope(projects), expiresAt: expiresAt)
    }

    private static func reason(_ error: any Error) -> String {
        guard let error = error as? JWTError else { return "malformed token" }
        switch error.errorType {
        case .claimVerificationFailure: return "it has expired or is not valid yet"
        case .signatureVerificationFailed: return "its signature does not verify"
        default: return "malformed token"
        }
    }

    struct Claims: JWTPayload {
        var sub: SubjectClaim?
        var exp: ExpirationClaim
        var nbf: NotBeforeClaim?
        var iss: IssuerClaim?
        var aud: AudienceClaim?
        var projects: [String]?
        var project: String?
        var role: String

        func verify(using algorithm: some JWTAlgorithm) throws {
            try exp.verifyNotExpired()
            try nbf?.verifyNotBefore()
        }
    }
}
#endif
