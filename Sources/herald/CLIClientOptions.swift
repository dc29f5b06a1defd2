import ArgumentParser
import HeraldClient

/// The options every client command shares: which server, and how long to wait.
struct CLIClientOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The Herald server's URL. (env: HERALD_URL)", valueName: "url"))
    var server = Env.string("HERALD_URL") ?? "http://127.0.0.1:7373"

    @Option(help: ArgumentHelp("Seconds to wait for each request. (env: HERALD_TIMEOUT)", valueName: "seconds"))
    var timeout = Env.int("HERALD_TIMEOUT") ?? 60

    @Option(help: ArgumentHelp("An API key or JWT, sent as Authorization: Bearer. Prefer the environment variable: options show in `ps`. (env: HERALD_TOKEN)", valueName: "key"))
    var token = Env.string("HERALD_TOKEN")

    func validate() throws {
        guard server.hasPrefix("http://") || server.hasPrefix("https://") else {
            throw ValidationError("--server must be an http:// or https:// URL, e.g. http://127.0.0.1:7373")
        }
        guard timeout > 0 else { throw ValidationError("--timeout must be at least 1 second") }
    }

    /// Runs `body` with a client of the server, reporting Herald's errors the way a person reads them.
    /// `project` names the project of the runs the command names (`?project=`).
    func withClient<Result>(project: String? = nil, _ body: (HeraldClient) async throws -> Result) async throws -> Result {
        var configuration = HeraldClient.Configuration(timeout: .seconds(timeout), token: token)
        configuration.project = project
        return try await CLIOutput.reportingErrors {
            try await HeraldClient.withClient(baseURL: server, configuration: configuration) { client in
                try await body(client)
            }
        }
    }
}
