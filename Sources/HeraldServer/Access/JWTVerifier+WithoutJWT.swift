#if !JWT
import HeraldCore

/// The JWT verifier of a build without the `JWT` trait (no jwt-kit): configuring JWT access
/// (`--jwt-secret-file`, `--jwt-public-key-file`) stops the server at start with
/// ``HeraldError/builtWithout(_:trait:)``, so a verifier never exists.
struct JWTVerifier: Sendable {
    init(_ configuration: JWTConfiguration) async throws(HeraldError) {
        throw .builtWithout("JWT", trait: "JWT")
    }

    func access(for token: Substring) async throws(HeraldError) -> Access {
        throw .builtWithout("JWT", trait: "JWT")
    }
}
#endif
