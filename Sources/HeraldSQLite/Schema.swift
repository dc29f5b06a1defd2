import GRDB

/// The database schema, owned by the store and migrated when it opens.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE runs (
                        run_key INTEGER PRIMARY KEY,
                        run TEXT NOT NULL UNIQUE,
                        project TEXT NOT NULL,
                        name TEXT,
                        status TEXT NOT NULL,
                        started_at INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL,
                        finished_at INTEGER,
                        event_count INTEGER NOT NULL,
                        last_seq INTEGER NOT NULL,
                        last_pos INTEGER NOT NULL,
                        agents TEXT NOT NULL
                    );
                    CREATE INDEX runs_updated ON runs(updated_at, run_key);
                    CREATE INDEX runs_project ON runs(project, updated_at);

                    -- pos: store-wide position in commit order (the rowid). body: the event's
                    -- canonical JSON, encoded once at ingest.
                    CREATE TABLE events (
                        pos INTEGER PRIMARY KEY,
                        run_key INTEGER NOT NULL,
                        seq INTEGER NOT NULL,
                        id TEXT NOT NULL,
                        type TEXT NOT NULL,
                        level INTEGER NOT NULL,
                        agent TEXT,
                        turn INTEGER,
                        time INTEGER NOT NULL,
                        caused_by TEXT,
                        body BLOB NOT NULL
                    );
                    CREATE UNIQUE INDEX events_run_seq ON events(run_key, seq);
                    CREATE UNIQUE INDEX events_id ON events(id);
                    CREATE INDEX events_run_type ON events(run_key, type);

                    -- Reverse causal links, for downstream walks.
                    CREATE TABLE causes (
                        cause_id TEXT NOT NULL,
                        run_key INTEGER NOT NULL,
                        pos INTEGER NOT NULL,
                        PRIMARY KEY (cause_id, pos)
                    ) WITHOUT ROWID;
                    """
            )
        }
        migrator.registerMigration("v2: facet counts") { db in
            // Per-run event counts by (type, agent, level), so the `total` of a filtered query
            // is a sum over a few rows instead of a count over a million. `agent` is '' for none.
            try db.execute(
                sql: """
                    CREATE TABLE run_facets (
                        run_key INTEGER NOT NULL,
                        type TEXT NOT NULL,
                        agent TEXT NOT NULL,
                        level INTEGER NOT NULL,
                        count INTEGER NOT NULL,
                        PRIMARY KEY (run_key, type, agent, level)
                    ) WITHOUT ROWID;
                    INSERT INTO run_facets (run_key, type, agent, level, count)
                        SELECT run_key, type, COALESCE(agent, ''), level, COUNT(*) FROM events GROUP BY 1, 2, 3, 4;
                    -- Type filters read in seq order straight from the index.
                    DROP INDEX events_run_type;
                    CREATE INDEX events_run_type_seq ON events(run_key, type, seq);
                    """
            )
        }
        migrator.registerMigration("v3: api keys") { db in
            // Only the SHA-256 of each key's secret is kept; the key itself is shown once.
            try db.execute(
                sql: """
                    CREATE TABLE api_keys (
                        id TEXT PRIMARY KEY,
                        secret_hash BLOB NOT NULL,
                        project TEXT NOT NULL,
                        role TEXT NOT NULL,
                        name TEXT NOT NULL,
                        created_at INTEGER NOT NULL,
                        revoked_at INTEGER
                    );
                    """
            )
        }
        migrator.registerMigration("v4: retention") { db in
            // first_seq: where a run's stored events start once retention trimmed it. The index
            // lets pruning remove a run's causal links without scanning every link.
            try db.execute(
                sql: """
                    ALTER TABLE runs ADD COLUMN first_seq INTEGER NOT NULL DEFAULT 1;
                    CREATE INDEX causes_run_pos ON causes(run_key, pos);
                    """
            )
        }
        migrator.registerMigration("v5: runs named within their project") { db in
            // A run is (project, run name): the runs table is rebuilt without the store-wide
            // UNIQUE(run). Event ids become unique within a project. Each event gets its place
            // in its project (project_pos), the resume token of project streams, so that no
            // project learns how much the others write.
            //
            // Stored events keep their store-wide position as their project position, so a
            // resume token given out before the upgrade still resumes exactly; every project
            // then counts on from the store's last position. received_at: when the run last received
            // an event (the idle clock of --run-idle-timeout); stored runs start from their last
            // event's time.
            try db.execute(
                sql: """
                    CREATE TABLE runs_v5 (
                        run_key INTEGER PRIMARY KEY,
                        run TEXT NOT NULL,
                        project TEXT NOT NULL,
                        name TEXT,
                        status TEXT NOT NULL,
                        started_at INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL,
                        finished_at INTEGER,
                        event_count INTEGER NOT NULL,
                        last_seq INTEGER NOT NULL,
                        last_pos INTEGER NOT NULL,
                        agents TEXT NOT NULL,
                        first_seq INTEGER NOT NULL DEFAULT 1,
                        received_at INTEGER NOT NULL,
                        UNIQUE (project, run)
                    );
                    INSERT INTO runs_v5 (run_key, run, project, name, status, started_at, updated_at, finished_at, event_count,
                        last_seq, last_pos, agents, first_seq, received_at)
                        SELECT run_key, run, project, name, status, started_at, updated_at, finished_at, event_count,
                            last_seq, last_pos, agents, first_seq, updated_at FROM runs;
                    DROP TABLE runs;
                    ALTER TABLE runs_v5 RENAME TO runs;
                    CREATE INDEX runs_updated ON runs(updated_at, run_key);
                    CREATE INDEX runs_project ON runs(project, updated_at);
                    CREATE INDEX runs_name ON runs(run);

                    CREATE TABLE projects (
                        project_key INTEGER PRIMARY KEY,
                        project TEXT NOT NULL UNIQUE,
                        last_pos INTEGER NOT NULL
                    );
                    INSERT INTO projects (project, last_pos)
                        SELECT DISTINCT project, (SELECT COALESCE(MAX(pos), 0) FROM events) FROM runs ORDER BY project;

                    ALTER TABLE events ADD COLUMN project_key INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE events ADD COLUMN project_pos INTEGER NOT NULL DEFAULT 0;
                    UPDATE events SET project_pos = pos, project_key = COALESCE((
                        SELECT p.project_key FROM runs r JOIN projects p ON p.project = r.project WHERE r.run_key = events.run_key
                    ), 0);
                    DROP INDEX events_id;
                    CREATE UNIQUE INDEX events_project_id ON events(project_key, id);
                    CREATE UNIQUE INDEX events_project_pos ON events(project_key, project_pos);
                    """
            )
        }
        return migrator
    }
}
