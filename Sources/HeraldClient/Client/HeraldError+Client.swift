import Foundation
import HeraldCore

extension HeraldError.Code {
    /// The server could not be reached, or the connection failed before an answer (status 0: no HTTP answer).
    public static let unreachable = HeraldError.Code("unreachable", status: 0)
    /// The server answered something that is not what the API promises.
    public static let invalidResponse = HeraldError.Code("invalid_response", status: 0)
}

extension HeraldError {
    /// The error a non-2xx answer carries: `{"error": {"code", "message", "details"}}`, or, when
    /// the body is not that shape (a proxy's HTML page, say), `http_<status>` with the body's start.
    init(answer body: [UInt8], status: Int) {
        if let envelope = try? JSONDecoder().decode(Envelope.self, from: Data(body)) {
            let details = (envelope.error.details ?? []).map(\.fieldError)
            self.init(Code(envelope.error.code, status: status), envelope.error.message ?? "", details: details)
        } else {
            let text = String(decoding: body.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            self.init(Code("http_\(status)", status: status), text.isEmpty ? "HTTP status \(status)" : text)
        }
    }

    private struct Envelope: Decodable {
        struct Body: Decodable {
            var code: String
            var message: String?
            var details: [FieldErrorBody]?
        }

        var error: Body
    }
}

/// One `details` entry of an error answer as the server writes it (every member optional, so a
/// proxy's variant still decodes).
struct FieldErrorBody: Decodable {
    var index: Int?
    var field: String?
    var code: String?
    var message: String?

    var fieldError: FieldError { FieldError(index: index, field: field ?? "", code: code ?? "", message: message ?? "") }
}
