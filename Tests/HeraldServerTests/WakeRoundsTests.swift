import HeraldCore
import NIOCore
import Testing

@testable import HeraldServer

@Suite("Wake rounds")
struct WakeRoundsTests {
    @Test func roundsAreSpacedByTheWidestFanOutUpToTheBound() {
        #expect(WakeRounds.spacing(fanOut: 0) == .zero)
        #expect(WakeRounds.spacing(fanOut: 1) == .nanoseconds(50))
        #expect(WakeRounds.spacing(fanOut: 100) == .microseconds(500))
        #expect(WakeRounds.spacing(fanOut: 500) == .microseconds(12_500))
        #expect(WakeRounds.spacing(fanOut: 1_000) == .milliseconds(50))
        #expect(WakeRounds.spacing(fanOut: 50_000) == WakeRounds.maxSpacing)
    }

    @Test func aSubscriberTakesWhatArrivedWhileItWasBusyInOneWake() async {
        let subscription = Subscription(
            id: 1, scope: .run(RunRef(run: "r")), access: .unrestricted(identity: "t"), capacity: 4096, byteCapacity: 1 << 20,
            counters: HubCounters(), rounds: WakeRounds()
        )
        // Nobody waits yet (the subscriber is "writing"): deliveries only fill its buffer.
        for seq in 1...5 {
            #expect(subscription.deliver([BoundsTests.published(10, seq: Int64(seq))]) == nil)
        }
        guard case .events(let items) = await subscription.next() else { Issue.record("expected the buffered events"); return }
        #expect(items.map(\.event.seq) == [1, 2, 3, 4, 5])
    }

    @Test func aWaitingSubscriberIsWokenByTheRoundAndClosingStillEndsIt() async {
        let rounds = WakeRounds()
        let subscription = Subscription(
            id: 1, scope: .run(RunRef(run: "r")), access: .unrestricted(identity: "t"), capacity: 4096, byteCapacity: 1 << 20,
            counters: HubCounters(), rounds: rounds
        )
        async let woken = subscription.next()
        // Whether or not the subscriber waits yet, the event reaches it: a waiting one is woken
        // by the round its waiter is handed to; a late one finds the event and joins a round.
        try? await Task.sleep(for: .milliseconds(20))
        let waiter = subscription.deliver([BoundsTests.published(10, seq: 1)])
        rounds.wake(waiter.map { [$0] } ?? [])
        guard case .events(let items) = await woken else { Issue.record("expected events"); return }
        #expect(!items.isEmpty)
        subscription.close()
        guard case .closed = await subscription.next() else { Issue.record("expected the end"); return }
    }
}
