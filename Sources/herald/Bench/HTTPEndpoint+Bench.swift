import ArgumentParser
import HeraldClient

extension HTTPEndpoint {
    /// A bench's `--server`: `http://` only, so that the load measures the server, not TLS.
    init(benchServer url: String) throws(ValidationError) {
        guard let endpoint = try? HTTPEndpoint(url: url), !endpoint.usesTLS else {
            throw ValidationError("--server must be an http:// URL such as http://127.0.0.1:7373 (https is not supported by the bench client)")
        }
        self = endpoint
    }
}
