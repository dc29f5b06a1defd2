import HeraldCore
import Logging
import NIOCore
import Testing

@testable import HeraldServer

/// The pieces that bound what one client can take (issue #15); the end-to-end proofs against
/// the binary are in Tests/abuse.
@Suite("Bounds")
struct BoundsTests {
    static func published(_ bytes: Int, seq: Int64) -> Published {
        let event = Event(
            position: seq, projectPosition: seq, id: ULIDGenerator().next(), project: "default", run: "r", seq: seq, type: "x.y", level: .detail,
            time: Timestamp(microseconds: 0), agent: nil, turn: nil, causedBy: [], json: []
        )
        return Published(event: event, publishedAt: .now, runFrame: ByteBuffer(repeating: 0x61, count: bytes), projectFrame: nil)
    }

    @Test func aSubscriberBufferOverflowsPastItsBytesBeforeItsEventCount() async {
        let counters = HubCounters()
        let subscription = Subscription(
            id: 1, scope: .run(RunRef(run: "r")), access: .unrestricted(identity: "t"), capacity: 4096, byteCapacity: 1 << 20, counters: counters,
            rounds: WakeRounds()
        )
        // Three frames of 300 KiB fit in 1 MiB; the fourth does not.
        for seq in 1...3 { _ = subscription.deliver([Self.published(300 << 10, seq: Int64(seq))]) }
        guard case .events(let items) = await subscription.next() else { Issue.record("expected the buffered events"); return }
        #expect(items.count == 3)
        for seq in 4...7 { _ = subscription.deliver([Self.published(300 << 10, seq: Int64(seq))]) }
        guard case .overflowed = await subscription.next() else { Issue.record("expected an overflow at 4 × 300 KiB"); return }
        #expect(counters.overflows.load(ordering: .relaxed) == 1)
    }

    @Test func theConnectionLimitAdmitsUpToItsMaximumAndAgainAfterOneLeaves() {
        let limit = ConnectionLimit(maximum: 2, logger: Logger(label: "test"))
        #expect(limit.admit() && limit.admit())
        #expect(!limit.admit(), "the third connection is refused")
        #expect(limit.count == 2)
        limit.release()
        #expect(limit.admit(), "a slot freed is taken again")
        #expect(limit.count == 2)
    }

    @Test func queriesPastTheLimitAreRefusedPerCaller() throws {
        let limit = QueryLimit(limit: 2)
        try limit.acquire("a")
        try limit.acquire("a")
        let refusal = #expect(throws: HeraldError.self) { try limit.acquire("a") }
        #expect(refusal?.code == .tooManyQueries && refusal?.retryAfter == 1)
        try limit.acquire("b")  // another caller is not affected
        limit.release("a")
        try limit.acquire("a")
        #expect(limit.inProgress == 3)
    }

    @Test func theDefaultConnectionCapLeavesRoomForTheStore() {
        #expect(HeraldConfiguration.defaultMaxConnections(openFilesLimit: 1024) == 768)
        #expect(HeraldConfiguration.defaultMaxConnections(openFilesLimit: 1 << 20) == 16_384)
        #expect(HeraldConfiguration.defaultMaxConnections(openFilesLimit: 100) == 64)
    }

    @Test func parserRefusalsAnswerInTheErrorShape() {
        #expect(FramingErrorAnswer.refusal(for: .headerOverflow).code == .headersTooLarge)
        #expect(FramingErrorAnswer.refusal(for: .invalidHeaderToken).code == .invalidRequest)
    }
}
