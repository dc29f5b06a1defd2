import ArgumentParser
import Foundation
import HeraldCore
import HeraldSQLite
import HeraldServer

#if PostgreSQL
import HeraldPostgres
#endif

/// Where the events live: the embedded store's folder, or a PostgreSQL URL shared by replicas.
/// `serve`, `keys` and `migrate` take the same options.
struct StoreOption: ParsableArguments {
    @Option(name: .long, help: "Folder for the embedded store. (env: HERALD_DATA)")
    var data = Env.string("HERALD_DATA") ?? "./herald-data"

    @Option(
        name: .long,
        help: """
            A PostgreSQL store shared by several replicas, instead of --data: \
            postgres://user@host:port/database[?sslmode=disable|prefer|require] (the password may come from PGPASSWORD). \
            (env: HERALD_STORE)
            """
    )
    var store = Env.string("HERALD_STORE")

    func validate() throws {
        #if PostgreSQL
        _ = try postgres
        #else
        if isShared { throw ValidationError("--store: " + HeraldError.builtWithout("PostgreSQL", trait: "PostgreSQL").message) }
        #endif
    }

    /// Whether --store names a shared store, instead of the folder of --data.
    var isShared: Bool { !(store ?? "").isEmpty }

    #if PostgreSQL
    /// The PostgreSQL store named by --store, if any.
    var postgres: PostgresLocation? {
        get throws {
            guard let store, !store.isEmpty else { return nil }
            do {
                return try PostgresLocation(url: store)
            } catch {
                throw ValidationError("--store: \(error.description)")
            }
        }
    }
    #endif

    /// Runs `body` with the key store: PostgreSQL's, or the data folder's.
    func withKeyStore<T: Sendable>(_ body: (any KeyStore) async throws -> T) async throws -> T {
        #if PostgreSQL
        if let location = try postgres {
            return try await PostgresStore.withRunning(location) { store in try await body(store) }
        }
        #endif
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return try await body(try SQLiteKeyStore(path: data + "/herald.sqlite"))
    }
}

/// `herald migrate`: brings a store's schema up to date without serving.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply the store's schema migrations and exit.",
        discussion: """
            herald serve applies missing migrations itself when it starts (one replica at a time), so this is for \
            deployments that migrate in a step of their own, before rolling out replicas.
            """
    )

    @OptionGroup var storage: StoreOption

    func run() async throws {
        try await CLIOutput.reportingErrors {
            #if PostgreSQL
            if let location = try storage.postgres {
                let applied = try await PostgresStore.migrate(location)
                CLIOutput.note(applied.isEmpty ? "\(location): schema up to date" : "\(location): applied migrations \(applied.map(String.init).joined(separator: ", "))")
                return
            }
            #endif
            try FileManager.default.createDirectory(atPath: storage.data, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let store = try SQLiteStore(path: storage.data + "/herald.sqlite")
            await store.close()
            CLIOutput.note("\(storage.data)/herald.sqlite: schema up to date")
        }
    }
}
