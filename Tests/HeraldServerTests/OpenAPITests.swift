import AsyncHTTPClient
import Foundation
import HeraldSQLite
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import Testing

@testable import HeraldCore
@testable import HeraldServer

/// Keeps `GET /openapi.json` true to the server: the routes it documents are exactly the
/// router's, its references resolve, its event vocabulary is ``Vocabulary``'s, and a live
/// server answers every documented operation with a documented status, media type and shape.
@Suite("OpenAPI document")
struct OpenAPITests {
    // MARK: The document

    @Test func isAnOpenAPI31Document() throws {
        let document = try OpenAPISpec.document()
        #expect(document["openapi"] == .string("3.1.0"))
        #expect(document["info"]?["title"] == .string("Herald"))
        #expect(document["info"]?["version"] != nil)
        #expect(try !OpenAPISpec.operations().isEmpty)
    }

    @Test func everyReferenceResolves() throws {
        let document = try OpenAPISpec.document()
        var references: [String] = []
        document.collectReferences(into: &references)
        #expect(references.count > 20)
        for reference in references {
            #expect(document.resolve(reference) != nil, "\(reference) does not resolve")
        }
    }

    @Test func everyPathParameterIsDeclaredAndRequired() throws {
        for operation in try OpenAPISpec.operations() {
            let inTemplate = Set(operation.path.split(separator: "/").filter { $0.hasPrefix("{") }.map { String($0.dropFirst().dropLast()) })
            let declared = operation.parameters.filter { $0["in"] == .string("path") }
            #expect(Set(declared.compactMap { $0["name"]?.string }) == inTemplate, "\(operation)")
            #expect(declared.allSatisfy { $0["required"] == .bool(true) }, "\(operation): path parameters are required")
        }
    }

    /// The query parameters each `/v1` route documents are exactly those the server takes
    /// (``QueryParameters/allowed``, which refuses any other), `access_token` and `ticket` being security schemes.
    @Test func queryParametersAreTheServersTable() throws {
        let documented = try OpenAPISpec.operations().filter { $0.path.hasPrefix("/v1/") && $0.path != "/v1/access" }
        let tabled = QueryParameters.allowed.keys.map { $0.split(separator: " ").last.map(String.init) ?? $0 }
        #expect(Set(documented.map(\.path)) == Set(tabled).subtracting(["/v1/access"]))
        for operation in documented {
            let names = Set(operation.parameters.filter { $0["in"] == .string("query") }.compactMap { $0["name"]?.string })
            let allowed = QueryParameters.takes(operation.method, operation.path) ?? []
            #expect(names == allowed.subtracting(["access_token", "ticket"]), "\(operation)")
            #expect(operation.responses["400"] != nil, "\(operation): an unknown query parameter is answered 400")
        }
    }

    @Test func operationIdsAreUniqueAndErrorsUseTheErrorSchema() throws {
        let document = try OpenAPISpec.document()
        let operations = try OpenAPISpec.operations()
        let ids = operations.compactMap { $0.object["operationId"]?.string }
        #expect(ids.count == operations.count && Set(ids).count == ids.count)
        for operation in operations {
            for (status, response) in operation.responses where status.hasPrefix("4") || status.hasPrefix("5") {
                let schema = document.resolved(response)["content"]?["application/json"]?["schema"]
                #expect(schema == .object(["$ref": .string("#/components/schemas/Error")]), "\(operation) \(status)")
            }
        }
    }

    @Test func everyExampleMatchesItsSchema() throws {
        let document = try OpenAPISpec.document()
        var checked = 0
        func check(_ mediaTypes: OpenAPIJSON?, _ place: String) {
            for (mediaType, content) in mediaTypes?.object ?? [:] where mediaType.hasSuffix("json") {
                guard let schema = content["schema"] else { continue }
                var examples = content["example"].map { [$0] } ?? []
                examples += (content["examples"]?.object ?? [:]).values.compactMap { document.resolved($0)["value"] }
                for example in examples {
                    #expect(OpenAPISchemaCheck(document).problems(example, schema) == [], "\(place)")
                    checked += 1
                }
            }
        }
        for operation in try OpenAPISpec.operations() {
            check(operation.object["requestBody"]?["content"], "\(operation) request")
            for (status, response) in operation.responses {
                check(document.resolved(response)["content"], "\(operation) \(status)")
            }
        }
        for (name, schema) in document["components"]?["schemas"]?.object ?? [:] {
            for example in schema["examples"]?.array ?? [] {
                #expect(OpenAPISchemaCheck(document).problems(example, schema) == [], "\(name)")
                checked += 1
            }
        }
        #expect(checked > 10)
    }

    // MARK: Routes

    /// The router's own list of routes (Hummingbird's `Router.routes`) against the document.
    @Test func documentsExactlyTheRoutesTheRouterRegisters() async throws {
        let directory = TestServer.makeTemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let logger = Logger(label: "openapi-tests")
        let store = try SQLiteStore(path: directory + "/herald.sqlite", logger: logger)
        let configuration = HeraldConfiguration()
        let services = try await HeraldServices.make(configuration, store: store, keys: nil, logger: logger)
        let router = buildRouter(configuration, services: services)
        let routed = Set(router.routes.map { "\($0.method.rawValue) \($0.path)" })
        await store.close()

        let documented = Set(try OpenAPISpec.operations().map(\.description))
        #expect(routed.count >= 11)
        #expect(routed.subtracting(documented).sorted() == [], "routed but not in openapi.json")
        #expect(documented.subtracting(routed).sorted() == [], "in openapi.json but not routed")
    }

    /// Requests every documented operation of a real server, successes and failures, and holds
    /// each answer to the document: a documented status and media type, and a body of the
    /// documented shape. None may be the router's "no route" 404.
    @Test(.timeLimit(.minutes(1))) func aLiveServerAnswersAsDocumented() async throws {
        let document = try OpenAPISpec.document()
        let operations = try OpenAPISpec.operations()
        try await TestServer.with(configure: OpenAPITests.probeConfiguration) { server in
            let seeded = try await OpenAPITests.seed(server)
            let probes = try OpenAPITests.probes(seeded, document: document)
            for operation in operations {
                #expect(probes.contains { $0.operation == operation.description }, "no probe requests \(operation)")
            }
            for probe in probes {
                guard let operation = operations.first(where: { $0.description == probe.operation }) else {
                    Issue.record("\(probe.operation) is not documented")
                    continue
                }
                let answer = try await server.request(
                    probe.method,
                    probe.path,
                    body: probe.body,
                    contentType: probe.contentType,
                    headers: probe.headers
                )
                OpenAPITests.expect(answer, of: probe, conformsTo: operation, in: document)
            }
            let served = try await server.get("/openapi.json")
            #expect(served.body == OpenAPIDocument.bytes, "GET /openapi.json serves openapi.json")
        }
    }

    @Test(.timeLimit(.minutes(1))) func streamsPastTheConnectionCapAnswerTheDocumented429() async throws {
        let operations = try OpenAPISpec.operations()
        try await TestServer.with(configure: { $0.streams.maxConnectionsPerClient = 0 }) { server in
            for (operation, path) in [
                ("GET /v1/runs/{run}/stream", "/v1/runs/r1/stream?wait=1"), ("GET /v1/projects/{project}/stream", "/v1/projects/p1/stream"),
            ] {
                let answer = try await server.get(path)
                #expect(answer.status == 429)
                #expect(answer.document?["error"]?["code"] == .string("too_many_connections"))
                let documented = try #require(operations.first { $0.description == operation })
                #expect(documented.responses["429"] != nil, "\(operation) documents 429")
            }
        }
    }

    // MARK: Vocabulary

    /// `EventInput` is a union with one branch per built-in type, naming the agent, turn and data
    /// fields the ingest validation requires of it: exactly ``Vocabulary/rules``.
    @Test func eventInputCarriesTheVocabulary() throws {
        let document = try OpenAPISpec.document()
        let input = try #require(document["components"]?["schemas"]?["EventInput"])
        var branches: [String: OpenAPIJSON] = [:]
        for branch in input["anyOf"]?.array ?? [] {
            let title = try #require(branch["title"]?.string, "every EventInput branch has a title")
            #expect(branches.updateValue(branch, forKey: title) == nil, "two EventInput branches are titled \(title)")
        }
        for (type, rule) in Vocabulary.rules {
            let branch = try #require(branches[type], "EventInput has no branch for \(type)")
            #expect(branch["properties"]?["type"] == .object(["const": .string(type)]), "\(type)")
            OpenAPITests.expect(branch, requires: rule.fields, oneOf: rule.atLeastOneOf, agent: rule.needsAgent, turn: rule.needsTurn, type: type)
        }
        let systemError = [Vocabulary.required("errorType")] + Vocabulary.systemFields.dropFirst()
        OpenAPITests.expect(try #require(branches["system.error"]), requires: systemError, agent: false, turn: false, type: "system.error")
        OpenAPITests.expect(try #require(branches["system.*"]), requires: Vocabulary.systemFields, agent: false, turn: false, type: "system.*")
        #expect(branches.count == Vocabulary.rules.count + 3, "EventInput has a branch that is not a built-in type, system.* or custom")

        // Custom types: anything well formed that is neither built in nor in a reserved namespace.
        let custom = try #require(branches["custom"]?["properties"]?["type"]?["not"]?["anyOf"])
        #expect(Set((custom[0]?["enum"]?.array ?? []).compactMap(\.string)) == Set(Vocabulary.rules.keys))
        let reserved = try #require(custom[1]?["pattern"]?.string)
        for prefix in Vocabulary.reservedPrefixes + ["system."] {
            #expect(OpenAPISchemaCheck.matches(prefix + "x", reserved), "\(prefix) is reserved")
        }
        #expect(!OpenAPISchemaCheck.matches("my.run.x", reserved))

        // And the union decides as the ingest validation does.
        let check = OpenAPISchemaCheck(document)
        let parser = EventParser()
        for body in [
            #"{"run":"r","type":"decision","agent":"a","data":{"decisionType":"t","newValue":1}}"#,
            #"{"run":"r","type":"decision","data":{"decisionType":"t","newValue":1}}"#,
            #"{"run":"r","type":"step.progress","data":{"stepId":"s","percent":101}}"#,
            #"{"run":"r","type":"run.complete"}"#, #"{"run":"r","type":"system.error","data":{}}"#,
            #"{"run":"r","type":"system.retry","data":{"retryCount":2}}"#, #"{"run":"r","type":"my.thing","data":{"x":null}}"#,
            #"{"run":"r","type":"milestone.turn_start","turn":3}"#, #"{"run":"r","type":"milestone.turn_start"}"#,
            #"{"run":"r","type":"agent.log","agent":"w","data":{"line":"x","lineNumber":0}}"#,
            #"{"run":"r","type":"x.y","level":null,"agent":null,"extra":1}"#,
        ] {
            let value = try JSONDecoder().decode(OpenAPIJSON.self, from: Data(body.utf8))
            let accepted = (try? parser.parse(Array(body.utf8), format: .json)) != nil
            #expect(check.problems(value, .object(["$ref": .string("#/components/schemas/EventInput")])).isEmpty == accepted, "\(body)")
        }
    }

    @Test func enumerationsMatchTheModel() throws {
        let schemas = try #require(try OpenAPISpec.document()["components"]?["schemas"])
        #expect(schemas["Level"]?["enum"]?.array?.compactMap(\.string) == Level.allCases.map(\.name))
        #expect(schemas["Run"]?["properties"]?["status"]?["enum"]?.array?.compactMap(\.string) == RunStatus.allCases.map(\.rawValue))
        #expect(schemas["EventInput"]?["properties"]?["causedBy"]?["maxItems"] == .integer(Int64(IngestLimits().maxCausedBy)))
        let runPattern = try #require(schemas["RunName"]?["pattern"]?.string)
        for name in ["r1", "a.b:c_d-E", String(repeating: "x", count: 128), "", "a b", "a/b", String(repeating: "x", count: 129)] {
            #expect(OpenAPISchemaCheck.matches(name, runPattern) == Names.isValidRun(name), "\(name)")
        }
        let typePattern = try #require(schemas["EventType"]?["pattern"]?.string)
        for name in ["agent.log", "my.custom_thing", "a.1b", "a", "Agent.log", "a..b", "a.", ".a", "1a", "a-b"] {
            #expect(OpenAPISchemaCheck.matches(name, typePattern) == Names.isValidType(name), "\(name)")
        }
        let ulidPattern = try #require(schemas["Ulid"]?["pattern"]?.string)
        let ulid = ULIDGenerator().next()
        for id in [ulid, ulid.lowercased(), "8" + ulid.dropFirst(), String(ulid.dropLast()), String(ulid.dropLast()) + "U"] {
            #expect(OpenAPISchemaCheck.matches(id, ulidPattern) == ULID.isValid(id), "\(id)")
        }
    }
}

// MARK: - Live probes

extension OpenAPITests {
    /// One request and the status it must get.
    struct Probe: CustomStringConvertible {
        var operation: String
        var method: HTTPMethod
        var path: String
        var status: Int
        var body: String? = nil
        var contentType: String? = "application/json"
        var headers: [(String, String)] = []

        var description: String { "\(method) \(path) → \(status)" }
    }

    struct Seeded {
        /// A finished run: run.started, agent.log (caused by the start), a custom event with a dangling cause, run.completed.
        var finishedRun = "oas-finished"
        var ids: [String]
    }

    @Sendable static func probeConfiguration(_ configuration: inout HeraldConfiguration) {
        // Project streams never end by themselves: a short lifetime closes them so the answer can be read whole;
        // a small body limit makes the 413 probe cheap.
        configuration.streams.heartbeat = .milliseconds(150)
        configuration.streams.maxLifetime = .milliseconds(300)
        configuration.limits.maxBodyBytes = 64 << 10
    }

    fileprivate static func seed(_ server: TestServer) async throws -> Seeded {
        var seeded = Seeded(ids: [])
        let run = seeded.finishedRun
        let dangling = ULIDGenerator().next()
        let first = try await server.ingest([#"{"run":"\#(run)","type":"run.started","data":{"name":"seeded"}}"#])
        let start = try #require(first.first?["id"] as? String)
        let rest = try await server.ingest([
            #"{"run":"\#(run)","type":"agent.log","agent":"w1","turn":1,"causedBy":["\#(start)"],"data":{"line":"hi"}}"#,
            #"{"run":"\#(run)","type":"my.custom.thing","causedBy":["\#(dangling)"]}"#,
            #"{"run":"\#(run)","type":"run.completed","data":{"summary":"done"}}"#,
        ])
        seeded.ids = [start] + rest.compactMap { $0["id"] as? String }
        return seeded
    }

    static func probes(_ seeded: Seeded, document: OpenAPIJSON) throws -> [Probe] {
        let run = seeded.finishedRun
        let id = seeded.ids[1]
        let json = try #require(document["paths"]?["/v1/events"]?["post"]?["requestBody"]?["content"]?["application/json"])
        let ndjsonLines = try #require(
            document["paths"]?["/v1/events"]?["post"]?["requestBody"]?["content"]?["application/x-ndjson"]?["example"]?.array
        )
        let ndjson = ndjsonLines.map { $0.text + "\n" }.joined()
        let examples = (json["examples"]?.object ?? [:]).sorted { $0.key < $1.key }.compactMap { $0.value["value"]?.text }
        let otlpExample = try #require(
            document["paths"]?["/otlp/v1/traces"]?["post"]?["requestBody"]?["content"]?["application/json"]?["example"]?.text
        )
        #expect(examples.count >= 2)

        let ingest = "POST /v1/events"
        let runs = "GET /v1/runs"
        let oneRun = "GET /v1/runs/{run}"
        let events = "GET /v1/runs/{run}/events"
        let event = "GET /v1/runs/{run}/events/{id}"
        let causality = "GET /v1/runs/{run}/events/{id}/causality"
        let runStream = "GET /v1/runs/{run}/stream"
        let projectStream = "GET /v1/projects/{project}/stream"
        let tickets = "POST /v1/stream-tickets"
        var probes = examples.map { Probe(operation: ingest, method: .POST, path: "/v1/events", status: 200, body: $0) }
        probes += [
            Probe(operation: ingest, method: .POST, path: "/v1/events", status: 200, body: ndjson, contentType: "application/x-ndjson"),
            Probe(operation: ingest, method: .POST, path: "/v1/events", status: 200, body: #"{"id":"\#(id)","run":"\#(run)","type":"x.y"}"#),
            Probe(operation: ingest, method: .POST, path: "/v1/events", status: 400, body: "{"),
            Probe(operation: ingest, method: .POST, path: "/v1/events", status: 400, body: ""),
            Probe(operation: ingest, method: .POST, path: "/v1/events", status: 409, body: #"{"run":"\#(run)","type":"x.y"}"#),
            Probe(
                operation: ingest,
                method: .POST,
                path: "/v1/events",
                status: 413,
                body: #"{"run":"big","type":"x.y","data":{"s":"\#(String(repeating: "x", count: 70_000))"}}"#
            ),
            Probe(operation: ingest, method: .POST, path: "/v1/events", status: 415, body: "hello", contentType: "text/plain"),
            Probe(
                operation: ingest,
                method: .POST,
                path: "/v1/events",
                status: 422,
                body: #"[{"run":"r","type":"decision"},{"run":"r","type":"run.complete"}]"#
            ),
            Probe(operation: runs, method: .GET, path: "/v1/runs", status: 200),
            Probe(operation: runs, method: .GET, path: "/v1/runs?status=active&project=default&limit=1", status: 200),
            Probe(operation: runs, method: .GET, path: "/v1/runs?limit=0", status: 400),
            Probe(operation: runs, method: .GET, path: "/v1/runs?cursor=nope", status: 400),
            Probe(operation: oneRun, method: .GET, path: "/v1/runs/\(run)", status: 200),
            Probe(operation: oneRun, method: .GET, path: "/v1/runs/missing", status: 404),
            Probe(operation: events, method: .GET, path: "/v1/runs/\(run)/events?types=agent.*,run.*&level=detail&limit=2", status: 200),
            Probe(
                operation: events,
                method: .GET,
                path: "/v1/runs/\(run)/events?turnFrom=1&turnTo=1&since=2000-01-01T00:00:00Z&after=1",
                status: 200
            ),
            Probe(operation: events, method: .GET, path: "/v1/runs/\(run)/events?level=loud", status: 400),
            Probe(operation: events, method: .GET, path: "/v1/runs/\(run)/events?before=3&limit=1", status: 200),
            Probe(operation: events, method: .GET, path: "/v1/runs/\(run)/events?before=3&after=1", status: 200),
            Probe(operation: events, method: .GET, path: "/v1/runs/missing/events", status: 404),
            Probe(operation: event, method: .GET, path: "/v1/runs/\(run)/events/\(id)", status: 200),
            Probe(operation: event, method: .GET, path: "/v1/runs/\(run)/events/not-a-ulid", status: 404),
            Probe(operation: causality, method: .GET, path: "/v1/runs/\(run)/events/\(seeded.ids[0])/causality", status: 200),
            Probe(operation: causality, method: .GET, path: "/v1/runs/\(run)/events/\(seeded.ids[2])/causality?maxDepth=0", status: 200),
            Probe(operation: causality, method: .GET, path: "/v1/runs/\(run)/events/\(id)/causality?maxDepth=-1", status: 400),
            Probe(operation: causality, method: .GET, path: "/v1/runs/missing/events/\(id)/causality", status: 404),
            Probe(operation: runStream, method: .GET, path: "/v1/runs/\(run)/stream?types=agent.log", status: 200),
            Probe(operation: runStream, method: .GET, path: "/v1/runs/\(run)/stream", status: 204, headers: [("Last-Event-ID", "4")]),
            // demo-1 is the running run the ingest examples made: resuming past its end gets a herald.gap.
            Probe(operation: runStream, method: .GET, path: "/v1/runs/demo-1/stream?after=999", status: 200),
            Probe(operation: runStream, method: .GET, path: "/v1/runs/\(run)/stream?from=later", status: 400),
            Probe(operation: runStream, method: .GET, path: "/v1/runs/missing/stream", status: 404),
            Probe(operation: projectStream, method: .GET, path: "/v1/projects/default/stream?logs=all&from=now", status: 200),
            Probe(operation: projectStream, method: .GET, path: "/v1/projects/default/stream", status: 200, headers: [("Last-Event-ID", "999")]),
            Probe(operation: projectStream, method: .GET, path: "/v1/projects/default/stream", status: 400, headers: [("Last-Event-ID", "x")]),
            Probe(operation: projectStream, method: .GET, path: "/v1/projects/default/stream?after=null", status: 400, headers: [("Last-Event-ID", "4")]),
            Probe(operation: projectStream, method: .GET, path: "/v1/projects/bad%20name/stream", status: 404),
            Probe(
                operation: "POST /v1/projects/{project}/events", method: .POST, path: "/v1/projects/board/events", status: 200,
                body: #"{"type":"task.status_changed","data":{"taskId":"t1","old":"todo","new":"doing"}}"#
            ),
            Probe(
                operation: "POST /v1/projects/{project}/events", method: .POST, path: "/v1/projects/board/events?partial=true", status: 200,
                body: #"[{"type":"board.note"},{"run":"r1","type":"board.note"}]"#
            ),
            Probe(
                operation: "POST /v1/projects/{project}/events", method: .POST, path: "/v1/projects/board/events", status: 422,
                body: #"{"run":"r1","type":"board.note"}"#
            ),
            Probe(operation: "POST /v1/projects/{project}/events", method: .POST, path: "/v1/projects/board/events", status: 400, body: "{"),
            Probe(
                operation: "POST /v1/projects/{project}/events", method: .POST, path: "/v1/projects/bad%20name/events", status: 404,
                body: #"{"type":"board.note"}"#
            ),
            Probe(operation: "GET /v1/projects/{project}/events", method: .GET, path: "/v1/projects/board/events?types=task.*&limit=1", status: 200),
            Probe(operation: "GET /v1/projects/{project}/events", method: .GET, path: "/v1/projects/nothing/events", status: 200),
            Probe(operation: "GET /v1/projects/{project}/events", method: .GET, path: "/v1/projects/board/events?level=loud", status: 400),
            Probe(operation: "GET /v1/projects/{project}/events", method: .GET, path: "/v1/projects/bad%20name/events", status: 404),
            Probe(operation: "POST /otlp/v1/traces", method: .POST, path: "/otlp/v1/traces", status: 200, body: otlpExample),
            Probe(operation: "POST /otlp/v1/traces", method: .POST, path: "/otlp/v1/traces", status: 400, body: "{"),
            Probe(operation: "POST /otlp/v1/traces", method: .POST, path: "/otlp/v1/traces", status: 415, body: "{}", contentType: "text/plain"),
            Probe(
                operation: "POST /otlp/v1/traces", method: .POST, path: "/otlp/v1/traces", status: 413,
                body: #"{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"\#(String(repeating: "x", count: 70_000))"}]}]}]}"#
            ),
            Probe(operation: "GET /healthz", method: .GET, path: "/healthz", status: 200),
            Probe(operation: "GET /readyz", method: .GET, path: "/readyz", status: 200),
            Probe(operation: "GET /openapi.json", method: .GET, path: "/openapi.json", status: 200),
            Probe(operation: "GET /metrics", method: .GET, path: "/metrics", status: 200),
            Probe(operation: "GET /v1/access", method: .GET, path: "/v1/access", status: 200),
            Probe(operation: runStream, method: .GET, path: "/v1/runs/\(run)/stream?format=ag-ui", status: 200),
            Probe(operation: runStream, method: .GET, path: "/v1/runs/\(run)/stream?format=xml", status: 400),
            Probe(operation: "GET /", method: .GET, path: "/", status: 200),
            Probe(operation: "GET /ui/{file}", method: .GET, path: "/ui/app.js", status: 200),
            Probe(operation: "GET /ui/{file}", method: .GET, path: "/ui/style.css", status: 200),
            Probe(operation: "GET /ui/{file}", method: .GET, path: "/ui/missing.js", status: 404),
            Probe(operation: "GET /ui/{file}", method: .GET, path: "/ui/favicon.svg", status: 200),
            Probe(operation: "GET /favicon.ico", method: .GET, path: "/favicon.ico", status: 200),
            Probe(operation: "GET /sdk/{file}", method: .GET, path: "/sdk/herald.js", status: 200),
            Probe(operation: "GET /sdk/{file}", method: .GET, path: "/sdk/herald.d.ts", status: 200),
            Probe(operation: "GET /sdk/{file}", method: .GET, path: "/sdk/missing.js", status: 404),
            Probe(operation: "GET /v1/projects", method: .GET, path: "/v1/projects", status: 200),
            Probe(operation: runStream, method: .GET, path: "/v1/runs/\(run)/stream?frames=message", status: 200),
            Probe(operation: runStream, method: .GET, path: "/v1/runs/demo-1/stream?frames=message&after=999", status: 200),
            Probe(operation: runStream, method: .GET, path: "/v1/runs/\(run)/stream?frames=unnamed", status: 400),
            Probe(operation: projectStream, method: .GET, path: "/v1/projects/default/stream?frames=message&after=999", status: 200),
            Probe(operation: runStream, method: .GET, path: "/v1/runs/\(run)/stream?ticket=ht_e30.bm90LWEtbWFj", status: 401),
            Probe(operation: projectStream, method: .GET, path: "/v1/projects/default/stream?ticket=nonsense", status: 401),
            Probe(operation: tickets, method: .POST, path: "/v1/stream-tickets", status: 200, body: #"{"run":"\#(run)"}"#),
            Probe(operation: tickets, method: .POST, path: "/v1/stream-tickets", status: 200, body: #"{"project":"default","logs":["all"],"types":["run.*"]}"#),
            Probe(operation: tickets, method: .POST, path: "/v1/stream-tickets", status: 400, body: "{"),
            Probe(operation: tickets, method: .POST, path: "/v1/stream-tickets", status: 400, body: #"{"run":"\#(run)","logs":["all"]}"#),
            Probe(operation: tickets, method: .POST, path: "/v1/stream-tickets", status: 400, body: #"{"run":"\#(run)","level":"loud"}"#),
            Probe(operation: tickets, method: .POST, path: "/v1/stream-tickets", status: 415, body: "run", contentType: "text/plain"),
            Probe(
                operation: tickets, method: .POST, path: "/v1/stream-tickets", status: 413,
                body: #"{"run":"\#(String(repeating: "x", count: 70_000))"}"#
            ),
        ]
        return probes.map { probe in
            var probe = probe
            if probe.method == .GET { probe.contentType = nil }
            return probe
        }
    }

    fileprivate static func expect(
        _ answer: TestServer.Answer,
        of probe: Probe,
        conformsTo operation: OpenAPISpec.Operation,
        in document: OpenAPIJSON
    ) {
        let message = answer.document?["error"]?["message"]?.string ?? ""
        #expect(!(answer.status == 404 && message.hasPrefix("no route for")), "\(probe): the router has no route: \(answer.text)")
        #expect(answer.status == probe.status, "\(probe): got \(answer.status) \(answer.text.prefix(300))")
        guard let response = operation.responses[String(answer.status)].map(document.resolved) else {
            Issue.record("\(probe): \(answer.status) is not documented for \(operation)")
            return
        }
        let mediaTypes = response["content"]?.object ?? [:]
        let contentType = answer.headers["Content-Type"].first.map { String($0.split(separator: ";")[0]) }
        guard let contentType else {
            #expect(mediaTypes.isEmpty && answer.body.isEmpty, "\(probe): an answer without a content type")
            return
        }
        guard let mediaType = mediaTypes[contentType] else {
            Issue.record("\(probe): \(contentType) is not documented for \(answer.status) (\(mediaTypes.keys.sorted()))")
            return
        }
        for (name, header) in response["headers"]?.object ?? [:] where header["required"] == .bool(true) {
            let value = answer.headers[name].first
            #expect(value != nil, "\(probe): header \(name) is documented as required")
            if let expected = header["schema"]?["const"]?.string { #expect(value == expected, "\(probe): \(name)") }
        }
        if contentType == "application/json", let schema = mediaType["schema"] {
            if let body = answer.document {
                #expect(OpenAPISchemaCheck(document).problems(body, schema) == [], "\(probe): \(answer.text.prefix(300))")
            } else {
                Issue.record("\(probe): the answer is not JSON: \(answer.text.prefix(300))")
            }
        }
        if contentType == "text/event-stream", let schema = mediaType["schema"] {
            #expect(answer.text.hasPrefix("retry: "), "\(probe): \(answer.text.prefix(200))")
            let events = OpenAPITests.serverSentEvents(answer.text)
            #expect(!events.isEmpty, "\(probe): no event in \(answer.text.prefix(200))")
            if probe.path.contains("999") || probe.headers.contains(where: { $0.1 == "999" }) {
                // Named, or (frames=message) a plain message whose JSON says what it is.
                let gap = { (event: OpenAPIJSON) in
                    event["event"] == .string("herald.gap") || event["data"]?.string?.hasPrefix(#"{"type":"herald.gap""#) == true
                }
                #expect(events.contains(where: gap), "\(probe): \(answer.text.prefix(300))")
            }
            for event in events {
                #expect(OpenAPISchemaCheck(document).problems(event, schema) == [], "\(probe): \(event.text)")
            }
        }
    }

    /// The events of an SSE body as a client parses them: `{"event", "data", "id"?, "retry"?}`
    /// for each block that has data (comments and the bare `retry:` block dispatch nothing).
    static func serverSentEvents(_ text: String) -> [OpenAPIJSON] {
        var events: [OpenAPIJSON] = []
        for block in text.components(separatedBy: "\n\n") {
            var fields: [String: OpenAPIJSON] = [:]
            var data: [String] = []
            for line in block.split(separator: "\n") where !line.hasPrefix(":") {
                let colon = line.firstIndex(of: ":") ?? line.endIndex
                let name = String(line[..<colon])
                var value = colon < line.endIndex ? line[line.index(after: colon)...] : ""
                if value.hasPrefix(" ") { value = value.dropFirst() }
                let text = String(value)
                switch name {
                case "data": data.append(text)
                case "retry": fields["retry"] = Int64(text).map(OpenAPIJSON.integer)
                default: fields[name] = .string(text)
                }
            }
            guard !data.isEmpty else { continue }
            fields["data"] = .string(data.joined(separator: "\n"))
            if fields["event"] == nil { fields["event"] = .string("message") }
            events.append(.object(fields))
        }
        return events
    }

    /// A built-in type's branch names exactly what ingest validation requires of it.
    static func expect(
        _ branch: OpenAPIJSON, requires fields: [Vocabulary.Field], oneOf: [String] = [], agent: Bool, turn: Bool, type: String
    ) {
        let required = Set(branch["required"]?.array?.compactMap(\.string) ?? [])
        #expect(required.contains("agent") == agent, "\(type): agent")
        #expect(required.contains("turn") == turn, "\(type): turn")
        #expect(required.contains("data") == (fields.contains { $0.required } || !oneOf.isEmpty), "\(type): data")
        let data = branch["properties"]?["data"]
        // At least one of: each alternative requires one of the fields, non-null.
        let alternatives = oneOf.map { name -> OpenAPIJSON in
            .object(["required": .array([.string(name)]), "properties": .object([name: .object(["not": .object(["type": .string("null")])])])])
        }
        #expect(data?["anyOf"] == (oneOf.isEmpty ? nil : .array(alternatives)), "\(type): data.anyOf")
        #expect(Set(data?["required"]?.array?.compactMap(\.string) ?? []) == Set(fields.filter(\.required).map(\.name)), "\(type): data.required")
        #expect(Set(data?["properties"]?.object.map { Array($0.keys) } ?? []) == Set(fields.map(\.name)), "\(type): data.properties")
        for field in fields {
            let schema = data?["properties"]?[field.name]
            let types = schema?["type"].map { $0.array?.compactMap(\.string) ?? [$0.string ?? ""] } ?? []
            let nullable = field.required ? [] : ["null"]
            switch field.kind {
            case .any:
                // Any JSON, null included, required or not: a state may change to null, and the
                // server takes a null there as a value (Vocabulary.FieldKind.acceptsNull).
                #expect(schema == .object([:]), "\(type).\(field.name)")
            case .string:
                #expect(types == ["string"] + nullable, "\(type).\(field.name)")
            case .bool:
                #expect(types == ["boolean"] + nullable, "\(type).\(field.name)")
            case .integer(let range):
                #expect(types == ["integer"] + nullable && schema?["minimum"] == .integer(range.lowerBound), "\(type).\(field.name)")
            case .number(let range):
                #expect(types == ["number"] + nullable, "\(type).\(field.name)")
                #expect(schema?["minimum"]?.double == range.lowerBound && schema?["maximum"]?.double == range.upperBound, "\(type).\(field.name)")
            case .oneOf(let values):
                #expect(types == ["string"] + nullable, "\(type).\(field.name)")
                #expect(schema?["enum"] == .array(values.map(OpenAPIJSON.string) + (field.required ? [] : [.null])), "\(type).\(field.name)")
            case .jsonPatch:
                #expect(schema == .object(["$ref": .string("#/components/schemas/JSONPatch")]), "\(type).\(field.name)")
            case .stringOrArray:
                #expect(types == ["string", "array"] + nullable, "\(type).\(field.name)")
            }
        }
    }
}

// MARK: - Answers read as documents

extension TestServer.Answer {
    /// The body decoded for checking against the document's schemas.
    var document: OpenAPIJSON? { try? JSONDecoder().decode(OpenAPIJSON.self, from: Data(body)) }
}

// MARK: - Reading the document

/// The document, decoded, and its operations.
enum OpenAPISpec {
    static let methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    struct Operation: CustomStringConvertible, Sendable {
        var method: String
        var path: String
        var object: OpenAPIJSON
        /// Path-level and operation-level parameters, resolved.
        var parameters: [OpenAPIJSON]
        var responses: [String: OpenAPIJSON]

        /// `GET /v1/runs/{run}`: the spelling of Hummingbird's `RouteDescription`.
        var description: String { "\(method.uppercased()) \(path)" }
    }

    static func document() throws -> OpenAPIJSON {
        try JSONDecoder().decode(OpenAPIJSON.self, from: Data(OpenAPIDocument.bytes))
    }

    static func operations() throws -> [Operation] {
        let document = try document()
        var operations: [Operation] = []
        for (path, item) in document["paths"]?.object ?? [:] {
            let shared = item["parameters"]?.array ?? []
            for method in methods {
                guard let operation = item[method] else { continue }
                let parameters = (shared + (operation["parameters"]?.array ?? [])).map(document.resolved)
                operations.append(
                    Operation(method: method, path: path, object: operation, parameters: parameters, responses: operation["responses"]?.object ?? [:])
                )
            }
        }
        return operations.sorted { $0.description < $1.description }
    }
}

/// A JSON value, decoded without Foundation's number and boolean ambiguity.
enum OpenAPIJSON: Decodable, Equatable, Sendable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([OpenAPIJSON])
    case object([String: OpenAPIJSON])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([OpenAPIJSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: OpenAPIJSON].self))
        }
    }

    subscript(key: String) -> OpenAPIJSON? { object?[key] }
    subscript(index: Int) -> OpenAPIJSON? { array.flatMap { $0.indices.contains(index) ? $0[index] : nil } }

    var object: [String: OpenAPIJSON]? { if case .object(let value) = self { value } else { nil } }
    var array: [OpenAPIJSON]? { if case .array(let value) = self { value } else { nil } }
    var string: String? { if case .string(let value) = self { value } else { nil } }
    var double: Double? {
        switch self {
        case .integer(let value): Double(value)
        case .number(let value): value
        default: nil
        }
    }

    /// The value as JSON text (a request body).
    var text: String {
        switch self {
        case .null: "null"
        case .bool(let value): value ? "true" : "false"
        case .integer(let value): String(value)
        case .number(let value): String(value)
        case .string(let value):
            String(decoding: try! JSONEncoder().encode(value), as: UTF8.self)
        case .array(let values): "[" + values.map(\.text).joined(separator: ",") + "]"
        case .object(let members):
            "{" + members.sorted { $0.key < $1.key }.map { OpenAPIJSON.string($0.key).text + ":" + $0.value.text }.joined(separator: ",") + "}"
        }
    }

    /// The target of a local `$ref` such as `#/components/schemas/Event`.
    func resolve(_ reference: String) -> OpenAPIJSON? {
        guard reference.hasPrefix("#/") else { return nil }
        var node: OpenAPIJSON? = self
        for part in reference.dropFirst(2).split(separator: "/") {
            node = node?[part.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")]
        }
        return node
    }

    /// `node` itself, or what its `$ref` points to.
    func resolved(_ node: OpenAPIJSON) -> OpenAPIJSON {
        guard let reference = node["$ref"]?.string, let target = resolve(reference) else { return node }
        return resolved(target)
    }

    func collectReferences(into references: inout [String]) {
        switch self {
        case .object(let members):
            if let reference = members["$ref"]?.string { references.append(reference) }
            for value in members.values { value.collectReferences(into: &references) }
        case .array(let values):
            for value in values { value.collectReferences(into: &references) }
        default:
            break
        }
    }
}

/// Checks a value against the JSON Schema subset the document uses (`$ref`, `type`, `enum`,
/// `const`, `required`, `properties`, `additionalProperties: false`, `items`, bounds,
/// `pattern`, `allOf`/`anyOf`/`oneOf`/`not`, `if`/`then`, `contentMediaType: application/json`
/// with `contentSchema`). `format` is not checked.
struct OpenAPISchemaCheck {
    let document: OpenAPIJSON

    init(_ document: OpenAPIJSON) { self.document = document }

    static func matches(_ text: String, _ pattern: String) -> Bool {
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return false }
        return regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    func problems(_ value: OpenAPIJSON, _ schema: OpenAPIJSON, at path: String = "$") -> [String] {
        let schema = document.resolved(schema)
        var problems: [String] = []
        if let types = schema["type"] {
            let allowed = types.array?.compactMap(\.string) ?? [types.string ?? ""]
            if !allowed.contains(where: { Self.isOfType(value, $0) }) { return ["\(path): not \(allowed)"] }
        }
        if let options = schema["enum"]?.array, !options.contains(value) { problems.append("\(path): not one of the enum") }
        if let constant = schema["const"], constant != value { problems.append("\(path): not \(constant.text)") }
        switch value {
        case .object(let members):
            for name in schema["required"]?.array?.compactMap(\.string) ?? [] where members[name] == nil {
                problems.append("\(path): \(name) is missing")
            }
            let properties = schema["properties"]?.object ?? [:]
            for (name, member) in members {
                if let property = properties[name] {
                    problems += self.problems(member, property, at: "\(path).\(name)")
                } else if schema["additionalProperties"] == .bool(false) {
                    problems.append("\(path).\(name) is not allowed")
                }
            }
        case .array(let items):
            if let minimum = schema["minItems"]?.double, Double(items.count) < minimum { problems.append("\(path): too few items") }
            if let maximum = schema["maxItems"]?.double, Double(items.count) > maximum { problems.append("\(path): too many items") }
            if let itemSchema = schema["items"] {
                for (index, item) in items.enumerated() { problems += self.problems(item, itemSchema, at: "\(path)[\(index)]") }
            }
        case .integer, .number:
            let number = value.double ?? 0
            if let minimum = schema["minimum"]?.double, number < minimum { problems.append("\(path): below \(minimum)") }
            if let maximum = schema["maximum"]?.double, number > maximum { problems.append("\(path): above \(maximum)") }
        case .string(let text):
            if schema["contentMediaType"] == .string("application/json"), let content = schema["contentSchema"] {
                if let decoded = try? JSONDecoder().decode(OpenAPIJSON.self, from: Data(text.utf8)) {
                    problems += self.problems(decoded, content, at: "\(path)<json>")
                } else {
                    problems.append("\(path): not JSON")
                }
            }
            if let pattern = schema["pattern"]?.string, !Self.matches(text, pattern) { problems.append("\(path): does not match \(pattern)") }
            if let minimum = schema["minLength"]?.double, Double(text.count) < minimum { problems.append("\(path): too short") }
            if let maximum = schema["maxLength"]?.double, Double(text.count) > maximum { problems.append("\(path): too long") }
        default:
            break
        }
        for part in schema["allOf"]?.array ?? [] { problems += self.problems(value, part, at: path) }
        if let options = schema["anyOf"]?.array, !options.contains(where: { self.problems(value, $0, at: path).isEmpty }) {
            problems.append("\(path): matches none of anyOf")
        }
        if let options = schema["oneOf"]?.array, options.count(where: { self.problems(value, $0, at: path).isEmpty }) != 1 {
            problems.append("\(path): does not match exactly one of oneOf")
        }
        if let negated = schema["not"], self.problems(value, negated, at: path).isEmpty { problems.append("\(path): matches not") }
        if let condition = schema["if"], self.problems(value, condition, at: path).isEmpty, let then = schema["then"] {
            problems += self.problems(value, then, at: path)
        }
        return problems
    }

    static func isOfType(_ value: OpenAPIJSON, _ type: String) -> Bool {
        switch (value, type) {
        case (.null, "null"), (.bool, "boolean"), (.string, "string"), (.array, "array"), (.object, "object"): true
        case (.integer, "integer"), (.integer, "number"), (.number, "number"): true
        case (.number(let value), "integer"): value.rounded() == value
        default: false
        }
    }
}
