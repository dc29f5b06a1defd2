import ArgumentParser
import Foundation
import HeraldCore
import HeraldServer
import HeraldSQLite

/// `herald keys`: API keys in a data folder (or the PostgreSQL store). Works while `herald serve` runs on that folder:
/// a new key is usable at once, a revoked one stops working within seconds.
struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create, list and revoke API keys.",
        discussion: """
            A key belongs to one project (or * for all) and has a role: read (queries, streams), publish \
            (read + POST /v1/events) or admin (publish, and /metrics for a key on *). Only a hash of each key is stored: the \
            key is printed once, by create. Once a key exists, herald serve requires one on every API request.
            """,
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a key and print it (the only time it is shown).")

        @OptionGroup var storage: StoreOption

        @Option(help: "The project the key covers; * for every project.")
        var project: String

        @Option(help: "read, publish or admin.")
        var role: Role

        @Option(help: "A label for people, shown by list.")
        var name = ""

        func validate() throws {
            guard project == "*" || Names.isValidRun(project) else {
                throw ValidationError("--project must match [A-Za-z0-9._:-]{1,128}, or be * for every project")
            }
        }

        func run() async throws {
            let (key, token) = APIKey.generate(project: project, role: role, name: name)
            try await storage.withKeyStore { keys in try await keys.createKey(key) }
            CLIOutput.writeAll(Array((token + "\n").utf8), to: STDOUT_FILENO)
            CLIOutput.note("created key \(key.id) (\(role.rawValue) on \(project == "*" ? "every project" : project)); it is shown only this once")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keys (ids and roles, never the keys).")

        @OptionGroup var storage: StoreOption

        func run() async throws {
            let keys = try await storage.withKeyStore { keys in try await keys.keys() }
            var table = CLITable([.init(title: "ID"), .init(title: "PROJECT"), .init(title: "ROLE"), .init(title: "NAME"), .init(title: "CREATED"), .init(title: "REVOKED")])
            let rows = keys.map { key in
                [key.id, key.project, key.role.rawValue, key.name, key.createdAt.rfc3339, key.revokedAt?.rfc3339 ?? "-"]
            }
            var output = CLIOutput()
            for line in table.render(rows) { output.line(line) }
            output.flush()
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key: it stops working within seconds.")

        @OptionGroup var storage: StoreOption

        @Argument(help: "The key's id (from list), or the key itself.")
        var key: String

        func run() async throws {
            let id = APIKey.id(of: key) ?? key
            guard try await storage.withKeyStore({ keys in try await keys.revokeKey(id: id, at: .now()) }) else {
                throw ValidationError("no key has the id \(id) (see herald keys list)")
            }
            CLIOutput.note("revoked key \(id)")
        }
    }
}

extension Role: ExpressibleByArgument {}
