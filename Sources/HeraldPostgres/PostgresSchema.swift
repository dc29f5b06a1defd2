#if PostgreSQL
import Logging
import PostgresNIO

/// The PostgreSQL schema, as numbered migrations. A store applies the missing ones when it
/// opens (`herald migrate` does it explicitly), under an advisory lock, so replicas starting
/// together apply each migration once.
///
/// Text that is compared or range-scanned (`type` prefixes, names, ids) uses the "C"
/// collation: byte order, the same as SQLite's, whatever the database's locale.
enum PostgresSchema {
    struct Migration {
        let version: Int
        let name: String
        let statements: [String]
    }

    static let migrations: [Migration] = [
        Migration(
            version: 1, name: "events, runs, keys and stream slots",
            statements: [
                // The head: the last position and run key handed out. Every write transaction
                // locks this one row first, so positions are assigned in commit order (see
                // docs/notes/resume-tokens.md).
                """
                CREATE TABLE head (
                    only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
                    last_pos BIGINT NOT NULL,
                    last_run_key BIGINT NOT NULL
                )
                """,
                "INSERT INTO head (last_pos, last_run_key) VALUES (0, 0)",
                """
                CREATE TABLE runs (
                    run_key BIGINT PRIMARY KEY,
                    run TEXT COLLATE "C" NOT NULL UNIQUE,
                    project TEXT COLLATE "C" NOT NULL,
                    name TEXT,
                    status TEXT NOT NULL,
                    started_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL,
                    finished_at BIGINT,
                    event_count BIGINT NOT NULL,
                    first_seq BIGINT NOT NULL DEFAULT 1,
                    last_seq BIGINT NOT NULL,
                    last_pos BIGINT NOT NULL,
                    agents TEXT[] NOT NULL
                )
                """,
                "CREATE INDEX runs_updated ON runs (updated_at, run_key)",
                "CREATE INDEX runs_project ON runs (project, updated_at)",
                // body: the event's canonical JSON, encoded once at ingest, kept byte for byte.
                """
                CREATE TABLE events (
                    pos BIGINT PRIMARY KEY,
                    run_key BIGINT NOT NULL,
                    seq BIGINT NOT NULL,
                    id TEXT COLLATE "C" NOT NULL,
                    type TEXT COLLATE "C" NOT NULL,
                    level BIGINT NOT NULL,
                    agent TEXT COLLATE "C",
                    turn BIGINT,
                    time BIGINT NOT NULL,
                    caused_by TEXT,
                    body BYTEA NOT NULL
                )
                """,
                "CREATE UNIQUE INDEX events_run_seq ON events (run_key, seq)",
                "CREATE UNIQUE INDEX events_id ON events (id)",
                "CREATE INDEX events_run_type_seq ON events (run_key, type, seq)",
                // Reverse causal links, for downstream walks.
                """
                CREATE TABLE causes (
                    cause_id TEXT COLLATE "C" NOT NULL,
                    run_key BIGINT NOT NULL,
                    pos BIGINT NOT NULL,
                    PRIMARY KEY (cause_id, pos)
                )
                """,
                "CREATE INDEX causes_run_pos ON causes (run_key, pos)",
                // Per-run counts by (type, agent, level): a filtered total without a count over the run.
                """
                CREATE TABLE run_facets (
                    run_key BIGINT NOT NULL,
                    type TEXT COLLATE "C" NOT NULL,
                    agent TEXT COLLATE "C" NOT NULL,
                    level BIGINT NOT NULL,
                    count BIGINT NOT NULL,
                    PRIMARY KEY (run_key, type, agent, level)
                )
                """,
                // Only the SHA-256 of each key's secret is kept.
                """
                CREATE TABLE api_keys (
                    id TEXT PRIMARY KEY,
                    secret_hash BYTEA NOT NULL,
                    project TEXT NOT NULL,
                    role TEXT NOT NULL,
                    name TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    revoked_at BIGINT
                )
                """,
                // Live streams per caller: the cluster-wide total, where the limit is checked,
                // and each replica's share, subtracted when that replica stops refreshing
                // `seen_at` (killed).
                "CREATE TABLE stream_totals (client TEXT PRIMARY KEY, held BIGINT NOT NULL)",
                "CREATE TABLE replicas (id TEXT PRIMARY KEY, seen_at TIMESTAMPTZ NOT NULL)",
                """
                CREATE TABLE stream_slots (
                    replica TEXT NOT NULL,
                    client TEXT NOT NULL,
                    held BIGINT NOT NULL,
                    PRIMARY KEY (replica, client)
                )
                """,
            ]
        ),
        Migration(
            version: 2, name: "runs named within their project",
            statements: [
                // A run is (project, run name); event ids are unique within a project. Each event
                // gets its place in its project (project_pos), the resume token of project
                // streams, so that no project learns how much the others write. Stored events
                // keep their store-wide position as their project position (tokens given out
                // before the upgrade still resume exactly); every project counts on from the
                // store's last position.
                "ALTER TABLE runs DROP CONSTRAINT runs_run_key",
                "ALTER TABLE runs ADD CONSTRAINT runs_project_run UNIQUE (project, run)",
                "CREATE INDEX runs_name ON runs (run)",
                // When the run last received an event: the idle clock of --run-idle-timeout.
                "ALTER TABLE runs ADD COLUMN received_at BIGINT NOT NULL DEFAULT 0",
                "UPDATE runs SET received_at = updated_at",
                "ALTER TABLE head ADD COLUMN last_project_key BIGINT NOT NULL DEFAULT 0",
                """
                CREATE TABLE projects (
                    project_key BIGINT PRIMARY KEY,
                    project TEXT COLLATE "C" NOT NULL UNIQUE,
                    last_pos BIGINT NOT NULL
                )
                """,
                """
                INSERT INTO projects (project_key, project, last_pos)
                SELECT ROW_NUMBER() OVER (ORDER BY project), project, (SELECT last_pos FROM head)
                FROM (SELECT DISTINCT project FROM runs) AS known
                """,
                "UPDATE head SET last_project_key = (SELECT COUNT(*) FROM projects)",
                "ALTER TABLE events ADD COLUMN project_key BIGINT NOT NULL DEFAULT 0, ADD COLUMN project_pos BIGINT NOT NULL DEFAULT 0",
                """
                UPDATE events e SET project_pos = e.pos,
                    project_key = COALESCE((SELECT p.project_key FROM runs r JOIN projects p ON p.project = r.project WHERE r.run_key = e.run_key), 0)
                """,
                "DROP INDEX events_id",
                "CREATE UNIQUE INDEX events_project_id ON events (project_key, id)",
                "CREATE UNIQUE INDEX events_project_pos ON events (project_key, project_pos)",
            ]
        ),
        Migration(
            version: 3, name: "ingest rate buckets shared by replicas",
            statements: [
                // One token bucket per caller for --rate-limit, so the limit holds across the
                // cluster; rows whose bucket is full again are deleted by the heartbeat.
                """
                CREATE TABLE rate_buckets (
                    client TEXT PRIMARY KEY,
                    tokens DOUBLE PRECISION NOT NULL,
                    updated_at TIMESTAMPTZ NOT NULL,
                    admitted BOOLEAN NOT NULL,
                    full_at TIMESTAMPTZ NOT NULL
                )
                """,
                "CREATE INDEX rate_buckets_full_at ON rate_buckets (full_at)",
            ]
        ),
        Migration(
            version: 4, name: "secrets shared by replicas",
            statements: [
                // The stream-ticket signing secret, made by the first replica that needs it, so
                // a ticket one replica issues opens a stream on any other.
                "CREATE TABLE secrets (name TEXT PRIMARY KEY, value BYTEA NOT NULL)"
            ]
        ),
    ]

    /// Applies the migrations `connection`'s database lacks; answers the versions applied.
    @discardableResult
    static func migrate(_ connection: PostgresConnection, logger: Logger) async throws -> [Int] {
        try await connection.withTransaction(logger: logger) { connection in
            // One migrator at a time across replicas; the lock ends with the transaction.
            try await connection.perform("SELECT pg_advisory_xact_lock(7373001)", logger: logger)
            try await connection.perform(
                """
                CREATE TABLE IF NOT EXISTS herald_migrations (
                    version INT PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
                )
                """,
                logger: logger
            )
            var applied: Set<Int> = []
            for try await version in try await connection.query("SELECT version FROM herald_migrations", logger: logger).decode(Int.self) {
                applied.insert(version)
            }
            if let newest = applied.max(), newest > migrations.last!.version {
                throw PostgresStoreError(
                    "the database's schema is at version \(newest), newer than this herald knows (\(migrations.last!.version)): upgrade herald"
                )
            }
            var done: [Int] = []
            for migration in migrations where !applied.contains(migration.version) {
                for statement in migration.statements {
                    try await connection.perform(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.perform(
                    "INSERT INTO herald_migrations (version, name) VALUES (\(migration.version), \(migration.name))", logger: logger
                )
                logger.info("store.migrated", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
                done.append(migration.version)
            }
            return done
        }
    }
}

/// A failure of the PostgreSQL store that is not PostgreSQL's own.
struct PostgresStoreError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
#endif
