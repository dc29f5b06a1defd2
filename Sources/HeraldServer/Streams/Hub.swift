import HeraldCore
import NIOCore
import ServiceLifecycle
import Synchronization

/// How many live subscribers a run has (presence, shown in `GET /v1/runs/{run}`).
protocol Presence: Sendable {
    func count(_ run: RunRef) -> Int
}

/// In-process fan-out of committed events to live subscribers.
///
/// The hub is fed by whoever knows what committed, in position order: the embedded store's
/// commit observer here; a cross-replica notification source plugs in the same way. Each
/// event's SSE frames are encoded once per publish and shared by all subscribers, who are woken
/// in rounds (see ``WakeRounds``). The hub never blocks a publisher: a subscriber that cannot
/// keep up overflows and catches up from the store on its own (see ``Subscription``).
final class Hub: Service, Presence {
    private struct State {
        var nextID = 0
        var byRun: [RunRef: [Int: Subscription]] = [:]
        var byProject: [String: [Int: Subscription]] = [:]
        var connectionsByClient: [String: Int] = [:]
        var total = 0
    }

    let configuration: StreamConfiguration
    let metrics: HeraldMetrics
    /// Where live streams are counted when several replicas share the limit; nil: here.
    let sharedSlots: (any StreamSlots)?
    /// Whether a subscriber's credential still holds (not revoked, not expired).
    let stillValid: @Sendable (Access, Timestamp) -> Bool
    private let state = Mutex(State())
    let counters = HubCounters()
    private let wakeRounds = WakeRounds()

    init(
        configuration: StreamConfiguration, metrics: HeraldMetrics, sharedSlots: (any StreamSlots)? = nil,
        stillValid: @escaping @Sendable (Access, Timestamp) -> Bool = { _, _ in true }
    ) {
        self.configuration = configuration
        self.metrics = metrics
        self.sharedSlots = sharedSlots
        self.stillValid = stillValid
    }

    // MARK: Subscribing

    /// Registers live interest in `scope` for the caller `access` names, or refuses past the
    /// per-caller limit.
    func subscribe(_ scope: Subscription.Scope, access: Access) async throws(HeraldError) -> Subscription {
        let client = access.identity
        let limit = configuration.maxConnectionsPerClient
        if let sharedSlots { try await sharedSlots.acquireSlot(client: client, limit: limit) }
        let counted = sharedSlots == nil
        let subscription = try state.withLock { state throws(HeraldError) -> Subscription in
            let held = state.connectionsByClient[client, default: 0]
            guard held < limit || !counted else {
                throw HeraldError(
                    .tooManyConnections, "this caller already holds \(held) live streams (limit \(limit))",
                    retryAfter: max(1, Int(configuration.heartbeat.components.seconds))
                )
            }
            state.nextID += 1
            let subscription = Subscription(
                id: state.nextID, scope: scope, access: access, capacity: configuration.bufferCapacity,
                byteCapacity: configuration.bufferBytes, counters: counters, rounds: wakeRounds
            )
            switch scope {
            case .run(let run): state.byRun[run, default: [:]][subscription.id] = subscription
            case .project(let project): state.byProject[project, default: [:]][subscription.id] = subscription
            }
            state.connectionsByClient[client] = held + 1
            state.total += 1
            return subscription
        }
        return subscription
    }

    /// Removes a subscription; every resource it held is released.
    func unsubscribe(_ subscription: Subscription) {
        subscription.close()
        state.withLock { state in
            switch subscription.scope {
            case .run(let run):
                guard state.byRun[run]?.removeValue(forKey: subscription.id) != nil else { return }
                if state.byRun[run]?.isEmpty == true { state.byRun[run] = nil }
            case .project(let project):
                guard state.byProject[project]?.removeValue(forKey: subscription.id) != nil else { return }
                if state.byProject[project]?.isEmpty == true { state.byProject[project] = nil }
            }
            let held = state.connectionsByClient[subscription.client, default: 1] - 1
            state.connectionsByClient[subscription.client] = held > 0 ? held : nil
            state.total -= 1
            if let sharedSlots { Task { await sharedSlots.releaseSlot(client: subscription.client) } }
        }
    }

    func count(_ run: RunRef) -> Int {
        state.withLock { $0.byRun[run]?.count ?? 0 }
    }

    /// Live subscribers in all.
    var subscriberCount: Int { state.withLock { $0.total } }

    /// Subscribers following live, and those reading the store to catch up.
    func subscriberStates() -> (live: Int, catchingUp: Int) {
        let catchingUp = allSubscriptions().count(where: \.isCatchingUp)
        return (subscriberCount - catchingUp, catchingUp)
    }

    // MARK: Publishing

    /// Hands committed events (in position order) to the subscribers that want them.
    func publish(_ events: [Event]) {
        var runTargets: [RunRef: [Subscription]] = [:]
        var projectTargets: [String: [Subscription]] = [:]
        state.withLock { state in
            for event in events {
                let run = event.runRef
                if runTargets[run] == nil, let subscriptions = state.byRun[run] {
                    runTargets[run] = Array(subscriptions.values)
                }
                if projectTargets[event.project] == nil, let subscriptions = state.byProject[event.project] {
                    projectTargets[event.project] = Array(subscriptions.values)
                }
            }
        }
        if runTargets.isEmpty && projectTargets.isEmpty { return }

        var byRun: [RunRef: [Published]] = [:]
        var byProject: [String: [Published]] = [:]
        let now = ContinuousClock.now
        for event in events {
            let run = event.runRef
            let wantsRun = runTargets[run] != nil
            let wantsProject = projectTargets[event.project] != nil
            guard wantsRun || wantsProject else { continue }
            let published = Published(
                event: event, publishedAt: now,
                runFrame: ByteBuffer(bytes: SSEFrame.run(event)),
                projectFrame: wantsProject ? ByteBuffer(bytes: SSEFrame.project(event)) : nil
            )
            if wantsRun { byRun[run, default: []].append(published) }
            if wantsProject { byProject[event.project, default: []].append(published) }
        }
        var waiters: [CheckedContinuation<Void, Never>] = []
        var fanOut = 0
        func hand(_ items: [Published], to subscriptions: [Subscription]) {
            fanOut += subscriptions.count
            waiters += subscriptions.compactMap { $0.deliver(items) }
        }
        for (run, items) in byRun { hand(items, to: runTargets[run] ?? []) }
        for (project, items) in byProject { hand(items, to: projectTargets[project] ?? []) }
        wakeRounds.wake(waiters, fanOut: fanOut)
    }

    // MARK: Service

    /// Wakes every subscriber a few times per heartbeat interval, so idle streams send
    /// heartbeats and old ones close at their lifetime, with one timer for all of them; and
    /// every second closes the streams whose credential was revoked or expired (without waking
    /// the others).
    func run() async throws {
        let tickInterval = configuration.heartbeat / 3
        let interval = min(tickInterval, Self.credentialCheckInterval)
        let tickEvery = max(1, Int((tickInterval / interval).rounded()))
        try? await cancelWhenGracefulShutdown {
            var round = 0
            while true {
                try await Task.sleep(for: interval)
                round += 1
                let subscriptions = self.allSubscriptions()
                self.closeInvalid(subscriptions)
                if round % tickEvery == 0 {
                    for subscription in subscriptions { subscription.tick() }
                }
            }
        }
        // Shutting down: end every stream at an event boundary; clients resume elsewhere.
        for subscription in allSubscriptions() { subscription.close() }
    }

    /// How often open streams' credentials are checked: a stream ends within this of its
    /// token's `exp`, and within this plus the key ring's refresh of its key's revocation.
    static let credentialCheckInterval: Duration = .seconds(1)

    /// Ends (at an event boundary) the streams whose credential no longer holds; the client's
    /// reconnect is then refused with 401.
    private func closeInvalid(_ subscriptions: [Subscription]) {
        let now = Timestamp.now()
        for subscription in subscriptions where !stillValid(subscription.access, now) {
            subscription.close()
            metrics.streamsEndedByCredential.increment()
        }
    }

    private func allSubscriptions() -> [Subscription] {
        state.withLock { state in
            state.byRun.values.flatMap(\.values) + state.byProject.values.flatMap(\.values)
        }
    }
}
