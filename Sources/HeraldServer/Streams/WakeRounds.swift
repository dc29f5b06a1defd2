import Synchronization

/// Wakes waiting subscribers in rounds, spaced by how widely events fan out, so that under load
/// each wake carries many events instead of one.
///
/// A subscriber's wake costs the same whatever it carries: a task switch, a pass of its bytes
/// down the channel pipeline, one `writev`. Woken once per event, 1,000 subscribers of a run
/// written at 1,000 events/s cost a million wakes a second; on 2 cores that held the publisher
/// to about 120 events/s, its own requests waiting behind the wakes. Rounds are spaced by the
/// widest fan-out of the last 100–200 ms, growing with its square up to ``maxSpacing`` at
/// ``fullWidth`` subscribers: 100 readers are woken every 0.5 ms (as good as at once), 300
/// every 4.5 ms, 1,000 and more every 50 ms (about fifty events a wake at 1,000 events/s, 20,000
/// wakes a second). The spacing is also the most a round adds to an event's delivery.
final class WakeRounds: Sendable {
    /// The longest a woken subscriber waits for its round: the added latency's bound.
    static let maxSpacing: Duration = .milliseconds(50)
    /// The fan-out at which rounds are ``maxSpacing`` apart.
    static let fullWidth = 1_000
    /// How long a wide fan-out keeps rounds spaced after its last publish: short, so that once
    /// the thousand readers are gone the others are woken promptly again.
    static let widthWindow: Duration = .milliseconds(100)

    private struct State {
        var waiting: [CheckedContinuation<Void, Never>] = []
        var scheduled = false
        var lastRound = ContinuousClock.now
        /// The widest fan-out (subscribers handed one publish) in this window and the last.
        var width = 0
        var previousWidth = 0
        var widthSince = ContinuousClock.now
    }

    private let state = Mutex(State())

    /// Wakes `waiters` now if the last round is far enough behind, else in the next round.
    /// `fanOut`: how many subscribers the publish that found them was handed to (0 for a
    /// subscriber that comes back for more).
    func wake(_ waiters: [CheckedContinuation<Void, Never>], fanOut: Int = 0) {
        let now = ContinuousClock.now
        let (due, wakeNow) = state.withLock { state -> (ContinuousClock.Instant, [CheckedContinuation<Void, Never>]) in
            if now - state.widthSince >= Self.widthWindow {
                state.previousWidth = state.width
                state.width = 0
                state.widthSince = now
            }
            state.width = max(state.width, fanOut)
            guard !waiters.isEmpty else { return (now, []) }
            state.waiting.append(contentsOf: waiters)
            if state.scheduled { return (now, []) }
            let due = state.lastRound + Self.spacing(fanOut: max(state.width, state.previousWidth))
            if due <= now { return (now, takeRound(&state, at: now)) }
            state.scheduled = true
            return (due, [])
        }
        if !wakeNow.isEmpty {
            for waiter in wakeNow { waiter.resume() }
        } else if due > now {
            Task {
                try? await Task.sleep(until: due, clock: .continuous)
                let round = state.withLock { state in
                    state.scheduled = false
                    return takeRound(&state, at: .now)
                }
                for waiter in round { waiter.resume() }
            }
        }
    }

    static func spacing(fanOut: Int) -> Duration {
        let width = min(fanOut, fullWidth)
        return maxSpacing * (width * width) / (fullWidth * fullWidth)
    }

    private func takeRound(_ state: inout State, at now: ContinuousClock.Instant) -> [CheckedContinuation<Void, Never>] {
        let round = state.waiting
        state.waiting = []
        state.lastRound = now
        return round
    }
}
