import HeraldCore
import NIOCore
import Synchronization

/// An event as the hub hands it out: the stored event and its SSE frames, encoded once and
/// shared by every subscriber. A class, so that handing it to a thousand subscribers' buffers
/// is one retain each, not one per string and buffer of the event.
final class Published: Sendable {
    let event: Event
    /// When the hub got it, just after its commit: fan-out lag is measured from here.
    let publishedAt: ContinuousClock.Instant
    let runFrame: ByteBuffer
    let projectFrame: ByteBuffer?

    init(event: Event, publishedAt: ContinuousClock.Instant, runFrame: ByteBuffer, projectFrame: ByteBuffer?) {
        self.event = event
        self.publishedAt = publishedAt
        self.runFrame = runFrame
        self.projectFrame = projectFrame
    }
}

/// One live subscriber's mailbox in the hub: a bounded buffer and a wake-up.
///
/// When the subscriber falls more than `capacity` events (or `byteCapacity` bytes of frames)
/// behind, the buffer is dropped and the subscription is marked overflowed: the subscriber then
/// reads what it missed from the store and rejoins. No event is lost and memory stays bounded.
final class Subscription: Sendable {
    enum Scope: Hashable, Sendable {
        case run(RunRef)
        case project(String)
    }

    /// What a subscriber finds when it wakes.
    enum Wake: Sendable {
        case events([Published])
        /// Events were dropped from the buffer: catch up from the store.
        case overflowed
        /// Time passed (for heartbeats and lifetime checks).
        case tick
        case closed
    }

    private struct State {
        var pending: [Published] = []
        var pendingBytes = 0
        var overflowed = false
        var ticked = false
        var closed = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    let id: Int
    let scope: Scope
    /// Who opened it: the stream ends when this credential is revoked or expires.
    let access: Access
    var client: String { access.identity }
    private let capacity: Int
    private let byteCapacity: Int
    private let state = Mutex(State())
    private let counters: HubCounters
    /// The hub's wake rounds, shared by every subscription.
    private let rounds: WakeRounds
    /// Set by the stream while it reads the store (catching up), for the metrics.
    private let catchingUp = Atomic<Bool>(true)

    var isCatchingUp: Bool {
        get { catchingUp.load(ordering: .relaxed) }
        set { catchingUp.store(newValue, ordering: .relaxed) }
    }

    init(id: Int, scope: Scope, access: Access, capacity: Int, byteCapacity: Int, counters: HubCounters, rounds: WakeRounds) {
        self.rounds = rounds
        self.id = id
        self.scope = scope
        self.access = access
        self.capacity = capacity
        self.byteCapacity = byteCapacity
        self.counters = counters
    }

    /// Called by the hub, in position order. Answers the subscriber's waiter, if it waits: the
    /// hub wakes it (see ``WakeRounds``).
    func deliver(_ items: [Published]) -> CheckedContinuation<Void, Never>? {
        state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.closed, !state.overflowed else { return nil }
            let bytes = items.reduce(0) { $0 + $1.runFrame.readableBytes }
            if state.pending.count + items.count > capacity || state.pendingBytes + bytes > byteCapacity {
                state.overflowed = true
                state.pending = []
                state.pendingBytes = 0
                counters.overflows.add(1, ordering: .relaxed)
            } else {
                state.pending.append(contentsOf: items)
                state.pendingBytes += bytes
            }
            defer { state.waiter = nil }
            return state.waiter
        }
    }

    func tick() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.ticked = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    func close() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.closed = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Re-arms after an overflow: buffering starts again from now.
    func resetOverflow() {
        state.withLock { state in
            state.overflowed = false
            state.pending = []
            state.pendingBytes = 0
        }
    }

    /// Waits for the next thing to do. Task cancellation (the client left) closes the subscription.
    ///
    /// Events are only ever taken after a wake of the hub's ``WakeRounds``: a subscriber that
    /// finds more events waiting when it comes back from writing waits for the next round, so
    /// that under load it writes many events at a time, not one.
    func next() async -> Wake {
        await withTaskCancellationHandler {
            var woken = false
            while true {
                if let wake = take(includingEvents: woken) { return wake }
                await withCheckedContinuation { continuation in
                    let wait = state.withLock { state -> Wait in
                        if state.closed || state.overflowed || state.ticked { return .none }
                        // Events already here: the next round wakes it (the round owns the continuation).
                        if !state.pending.isEmpty { return .nextRound }
                        state.waiter = continuation
                        return .forDelivery
                    }
                    switch wait {
                    case .none: continuation.resume()
                    case .nextRound: rounds.wake([continuation])
                    case .forDelivery: break
                    }
                }
                woken = true
            }
        } onCancel: {
            close()
        }
    }

    private enum Wait { case none, nextRound, forDelivery }

    private func take(includingEvents: Bool) -> Wake? {
        state.withLock { state in
            if state.closed { return .closed }
            if state.overflowed { return .overflowed }
            if includingEvents && !state.pending.isEmpty {
                defer {
                    state.pending = []
                    state.pendingBytes = 0
                }
                return .events(state.pending)
            }
            if state.ticked {
                state.ticked = false
                return .tick
            }
            return nil
        }
    }
}

/// Hub-wide counters, shared by every subscription.
final class HubCounters: Sendable {
    /// Times a subscriber fell behind its buffer and went back to reading the store.
    let overflows = Atomic<Int>(0)
}
