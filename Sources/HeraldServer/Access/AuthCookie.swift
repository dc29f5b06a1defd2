import HeraldCore
import Hummingbird
import HTTPTypes

/// `--auth-cookie NAME`: a JWT in a cookie, for the streams of a same-site app's pages.
///
/// An app that already keeps a session (FastAPI, Go) sets an `HttpOnly`, `SameSite` cookie
/// holding a short JWT it signs with the secret Herald verifies, and its pages open
/// `new EventSource(url, { withCredentials: true })`. A browser sends cookies with any request
/// to Herald's site, whoever's page asked, so the cookie is read on the GET stream routes only:
/// anywhere else a request with nothing but the cookie is refused (cross-site request forgery
/// can then neither publish nor query). A stream whose `Origin` is neither Herald's own nor one
/// listed with `--cors-origin` is refused too.
struct AuthCookie: Sendable {
    let name: String
    /// The origins listed with `--cors-origin`, whose pages may stream with the cookie.
    let allowedOrigins: Set<String>

    /// The cookie's value in `request`, if it carries it (and it is not empty).
    func value(in request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let pair = pair.trimmingSpaces
                guard let equals = pair.firstIndex(of: "="), pair[..<equals].trimmingSpaces == name else { continue }
                var value = pair[pair.index(after: equals)...].trimmingSpaces
                if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = value.dropFirst().dropLast() }
                return value.isEmpty ? nil : String(value)
            }
        }
        return nil
    }

    /// The refusal of a request that is not a stream and carries nothing but the cookie.
    var streamsOnly: HeraldError {
        HeraldError(
            .unauthorized,
            "the \(name) cookie authenticates streams only (GET /v1/runs/{run}/stream, /v1/projects/{project}/stream), so that no other site's page can make a browser publish or query with it; send Authorization: Bearer <key or JWT> for this request"
        )
    }

    /// Throws 403 when a page of another origin, not listed with `--cors-origin`, asks for a
    /// stream with the cookie. (Browsers send `Origin` on cross-origin requests; a same-origin
    /// `EventSource` sends none, or Herald's own.)
    func checkOrigin(_ request: Request) throws(HeraldError) {
        guard let origin = request.headers[.origin] else { return }
        if allowedOrigins.contains(origin) { return }
        if let authority = request.head.authority, origin.hasSuffix("://" + authority), !origin.hasPrefix("null") { return }
        throw HeraldError(
            .forbidden,
            "a page of \(origin) may not stream with the \(name) cookie: its origin is not Herald's own nor listed with --cors-origin"
        )
    }

    /// Whether `name` can be a cookie's name (an RFC 6265 token).
    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 256
            && name.utf8.allSatisfy { byte in
                byte > 0x20 && byte < 0x7F && !"()<>@,;:\\\"/[]?={}".utf8.contains(byte)
            }
    }
}
