import Foundation
import HeraldCore
import Hummingbird

extension StreamTicket {
    /// Throws 401 `invalid_ticket` unless `request` asks for the ticket's own stream: its run in
    /// its project (or its project's stream), with the filters it binds.
    func check(_ request: Request) throws(HeraldError) {
        let parts = request.uri.path.split(separator: "/")
        guard request.method == .get, AuthMiddleware<HeraldRequestContext>.isStreamPath(request.uri.path) else {
            throw StreamTicketSigner.refusal(
                "a ticket opens its stream (GET /v1/runs/{run}/stream or /v1/projects/{project}/stream) and nothing else; send Authorization: Bearer for other requests"
            )
        }
        let name = String(parts[2]).removingPercentEncoding ?? String(parts[2])
        let query = request.uri.queryParameters
        let asked: String
        switch (stream, parts[1]) {
        case (.run, "runs"):
            let project = query.get("project").flatMap { $0.isEmpty ? nil : $0 }
            guard name == run, project == nil || project == self.project else {
                asked = "run \(name)" + (project.map { " of project \($0)" } ?? "")
                break
            }
            return try checkFilters(query)
        case (.project, "projects"):
            guard name == project else {
                asked = "project \(name)'s stream"
                break
            }
            return try checkFilters(query)
        default:
            asked = parts[1] == "runs" ? "run \(name)" : "project \(name)'s stream"
        }
        throw StreamTicketSigner.refusal("it opens \(streamDescription), not \(asked)")
    }

    /// Each bound filter must be asked exactly (lists in any order).
    private func checkFilters(_ query: Parameters) throws(HeraldError) {
        for (name, bound) in filters.sorted(by: { $0.key < $1.key }) {
            let given = query.get(name) ?? ""
            guard Self.same(given, bound, list: name != "level") else {
                throw StreamTicketSigner.refusal("it is bound to \(name)=\(bound), and this stream was asked with \(given.isEmpty ? "none" : "\(name)=\(given)")")
            }
        }
    }

    /// Whether two parameter values say the same: the same items, for a comma-separated list.
    static func same(_ a: String, _ b: String, list: Bool) -> Bool {
        guard list else { return a == b }
        let items = { (text: String) in Set(text.split(separator: ",", omittingEmptySubsequences: true).map(String.init)) }
        return items(a) == items(b)
    }

    /// The ticket's stream as a path and query, `ticket` (the ticket's text) included:
    /// `/v1/runs/{run}/stream?project=…&<bound filters>&ticket=…` or the project's stream.
    func streamURL(_ ticket: String) -> String {
        var query: [(String, String)] = []
        let path: String
        if let run {
            path = "/v1/runs/\(Self.encoded(run))/stream"
            query.append(("project", project))
        } else {
            path = "/v1/projects/\(Self.encoded(project))/stream"
        }
        query += filters.sorted { $0.key < $1.key }
        query.append(("ticket", ticket))
        return path + "?" + query.map { "\($0.0)=\(Self.encoded($0.1))" }.joined(separator: "&")
    }

    private static let unreserved = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~,*:")

    private static func encoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }
}
