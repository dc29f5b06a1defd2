import HeraldCore
import Logging
import ServiceLifecycle
import Synchronization

/// The API keys the server knows, read from the key store and kept in memory, so checking a
/// key costs a dictionary lookup and a hash. A key created by `herald keys create` is found
/// on first use (an unknown id reloads the keys, at most five times a second); a revoked one stops
/// working within `refreshInterval`.
final class KeyRing: Service {
    private struct State {
        var keys: [Substring: StoredKey] = [:]
        var loadedAt: ContinuousClock.Instant?
        /// The reload callers with unknown keys share (single flight).
        var pendingReload: Task<Void, Never>?
    }

    let store: any KeyStore
    let refreshInterval: Duration
    let logger: Logger
    private let state = Mutex(State())
    private let clock = ContinuousClock()

    init(store: any KeyStore, refreshInterval: Duration = .seconds(2), logger: Logger) {
        self.store = store
        self.refreshInterval = refreshInterval
        self.logger = logger
    }

    /// Whether any key (active or not) exists: once one does, authentication stays on.
    var isEmpty: Bool { state.withLock { $0.keys.isEmpty } }

    /// The access a key's text grants, or nil for an unknown, malformed or revoked key.
    func access(for token: Substring) async -> Access? {
        guard let (id, secret) = APIKey.parse(token) else { return nil }
        var key = state.withLock { $0.keys[id] }
        if key == nil {
            // Perhaps created since the last load. Unknown keys share one reload at a time, at
            // least `minimumReloadAge` after the last: a flood of them waits (and is slowed down)
            // instead of hammering the store.
            await sharedReload().value
            key = state.withLock { $0.keys[id] }
        }
        guard let key, key.revokedAt == nil, APIKey.digestsMatch(APIKey.hash(secret), key.secretHash) else { return nil }
        return Access(identity: Access.keyIdentityPrefix + key.id, role: key.role, projects: ProjectScope([key.project]))
    }

    /// Whether the key behind `identity` (`key:<id>`) is still known and not revoked, as of the
    /// last reload; true for identities that are not keys.
    func isActive(identity: String) -> Bool {
        guard identity.hasPrefix(Access.keyIdentityPrefix) else { return true }
        let id = identity.dropFirst(Access.keyIdentityPrefix.count)
        return state.withLock { $0.keys[id].map { $0.revokedAt == nil } ?? false }
    }

    /// ``isActive(identity:)``, but a key this ring has not loaded (created a moment ago, say on
    /// another replica) is looked up first when `reloadingUnknown`, as ``access(for:)`` does.
    func isActive(identity: String, reloadingUnknown: Bool) async -> Bool {
        guard identity.hasPrefix(Access.keyIdentityPrefix) else { return true }
        let id = identity.dropFirst(Access.keyIdentityPrefix.count)
        if reloadingUnknown, state.withLock({ $0.keys[id] == nil }) { await sharedReload().value }
        return isActive(identity: identity)
    }

    func reload() async {
        do {
            let keys = try await store.keys()
            state.withLock { state in
                state.keys = Dictionary(keys.map { (Substring($0.id), $0) }, uniquingKeysWith: { _, last in last })
                state.loadedAt = clock.now
            }
        } catch {
            // Keep the keys already known; a store that cannot be read refuses no valid key.
            logger.error("keys.reload.failed", metadata: ["error": "\(error)"])
        }
    }

    static let minimumReloadAge: Duration = .milliseconds(200)

    private func sharedReload() -> Task<Void, Never> {
        state.withLock { state in
            if let pending = state.pendingReload { return pending }
            let wait = state.loadedAt.map { Self.minimumReloadAge - (clock.now - $0) } ?? .zero
            let reload = Task {
                if wait > .zero { try? await Task.sleep(for: wait) }
                await self.reload()
                self.state.withLock { $0.pendingReload = nil }
            }
            state.pendingReload = reload
            return reload
        }
    }

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while true {
                try await Task.sleep(for: self.refreshInterval)
                await self.reload()
            }
        }
    }
}
