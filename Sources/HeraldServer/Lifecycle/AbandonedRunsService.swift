import HeraldCore
import Logging
import ServiceLifecycle

/// Ends the runs whose producer went silent (`--run-idle-timeout`): every `interval`, each
/// queued or running run that received no event for longer than its project's timeout gets
/// `run.failed` with `data.code` `abandoned`. Its streams then end as for any failure and the
/// board shows why.
///
/// The failure is appended with `expectedSeq` at the run's last seq, so an event that arrives
/// meanwhile wins (the run is simply no longer idle), and replicas that look at the same time
/// end a run once.
struct AbandonedRunsService: Service {
    let store: any EventStore
    let policy: RunIdlePolicy
    let interval: Duration
    let logger: Logger

    /// Runs read (and ended) per page.
    static let pageSize = 100

    /// How often to look: a quarter of the shortest timeout, between 1 and 30 seconds.
    static func interval(for policy: RunIdlePolicy) -> Duration {
        min(max((policy.shortest ?? .seconds(120)) / 4, .seconds(1)), .seconds(30))
    }

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while true {
                try await Task.sleep(for: self.interval)
                await self.endAbandoned(now: .now())
            }
        }
    }

    /// Ends every run idle past its timeout at `now`; answers how many it ended.
    @discardableResult
    func endAbandoned(now: Timestamp) async -> Int {
        // Each project with a rule of its own, then every other project under the default.
        var rules: [(project: String?, timeout: Duration)] = policy.projects.sorted { $0.key < $1.key }.compactMap { project, timeout in
            timeout.map { (project, $0) }
        }
        if let timeout = policy.defaultTimeout { rules.append((nil, timeout)) }
        var ended = 0
        for rule in rules {
            do {
                ended += try await end(project: rule.project, timeout: rule.timeout, now: now)
            } catch {
                logger.error("runs.abandon.failed", metadata: ["error": "\(error)"])
            }
        }
        return ended
    }

    private func end(project: String?, timeout: Duration, now: Timestamp) async throws(HeraldError) -> Int {
        let cutoff = Timestamp(microseconds: now.microseconds - timeout.components.seconds * 1_000_000)
        var query = RunQuery(status: .active, project: project, receivedBefore: cutoff, limit: Self.pageSize)
        var ended = 0
        while !Task.isCancelled {
            let page = try await store.runs(query)
            // The default rule skips projects that have a rule of their own.
            let idle = page.runs.filter { project != nil || policy.projects[$0.project] == nil }
            if !idle.isEmpty {
                let drafts = idle.map { run in
                    EventDraft(
                        project: run.project, run: run.run, type: "run.failed", time: now, data: RunIdlePolicy.abandonment(after: timeout),
                        expectedSeq: run.lastSeq
                    )
                }
                let result = try await store.append(AppendRequest(drafts: drafts, receivedAt: now, partial: true))
                ended += result.accepted
                for index in result.indices ?? [] {
                    logger.info("run.abandoned", metadata: ["run": "\(idle[index].ref)", "idle": "\(RunIdlePolicy.describe(timeout))"])
                }
            }
            guard let next = page.nextCursor else { break }
            query.cursor = next
        }
        return ended
    }
}
