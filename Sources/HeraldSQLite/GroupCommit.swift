import Dispatch
import Synchronization

/// Group commit: callers submit work concurrently; one writer takes everything queued so far
/// and handles it as one batch (one transaction), then answers each caller.
///
/// The writer runs on a dedicated serial queue, so blocking disk I/O never occupies the
/// cooperative thread pool. While a batch is being written new submissions queue up and form
/// the next batch: the busier the store, the larger the batches.
final class GroupCommit<Input: Sendable, Output: Sendable>: Sendable {
    private struct State {
        var queue: [(Input, CheckedContinuation<Output, Never>)] = []
        var draining = false
    }

    private let state = Mutex(State())
    private let writerQueue = DispatchQueue(label: "herald.group-commit")
    private let handle: @Sendable ([Input]) -> [Output]

    /// - Parameter handle: writes a batch; answers one output per input, in order.
    init(handle: @escaping @Sendable ([Input]) -> [Output]) {
        self.handle = handle
    }

    func submit(_ input: Input) async -> Output {
        await withCheckedContinuation { continuation in
            let startDrain = state.withLock { state in
                state.queue.append((input, continuation))
                guard !state.draining else { return false }
                state.draining = true
                return true
            }
            if startDrain {
                writerQueue.async { self.drain() }
            }
        }
    }

    private func drain() {
        while true {
            let batch = state.withLock { state in
                let batch = state.queue
                state.queue.removeAll(keepingCapacity: true)
                if batch.isEmpty { state.draining = false }
                return batch
            }
            if batch.isEmpty { return }
            let outputs = handle(batch.map(\.0))
            for (index, (_, continuation)) in batch.enumerated() {
                continuation.resume(returning: outputs[index])
            }
        }
    }
}
