import Testing

@testable import HeraldCore

@Suite("HeraldError")
struct HeraldErrorTests {
    @Test(
        "codes carry their HTTP status",
        arguments: [
            (HeraldError.Code.invalidJSON, "invalid_json", 400), (.invalidParameter, "invalid_parameter", 400),
            (.runNotFound, "run_not_found", 404), (.runFinished, "run_finished", 409), (.payloadTooLarge, "payload_too_large", 413),
            (.tooManyEvents, "too_many_events", 413), (.validationFailed, "validation_failed", 422),
            (.tooManyConnections, "too_many_connections", 429), (.unavailable, "unavailable", 503),
        ] as [(HeraldError.Code, String, Int)]
    )
    func statuses(code: HeraldError.Code, raw: String, status: Int) {
        #expect(code.rawValue == raw)
        #expect(code.status == status)
    }

    @Test("json renders code, message and details, escaping text")
    func json() {
        let error = HeraldError(
            .validationFailed,
            "1 of 2 \"events\" failed",
            details: [
                FieldError(index: 1, field: "data.x", code: "required", message: "need x"),
                FieldError(index: nil, field: "body", code: "syntax", message: "bad\n"),
            ]
        )
        #expect(
            text(error.json)
                == #"{"error":{"code":"validation_failed","message":"1 of 2 \"events\" failed","details":["#
                + #"{"index":1,"field":"data.x","code":"required","message":"need x"},"#
                + #"{"field":"body","code":"syntax","message":"bad\n"}]}}"#
        )
        #expect(text(HeraldError(.runNotFound, "no run r1").json) == #"{"error":{"code":"run_not_found","message":"no run r1"}}"#)
        #expect(error.description == "validation_failed: 1 of 2 \"events\" failed")
    }
}
