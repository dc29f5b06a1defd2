import Foundation

/// Runs `body` in a child task that SIGINT or SIGTERM cancels, so a command can stop its work
/// and still finish cleanly (deliver what it has) instead of being killed.
func cancellingOnSignals<Result: Sendable>(_ body: @escaping @Sendable () async throws -> Result) async throws -> Result {
    let task = Task { try await body() }
    let sources = [SIGINT, SIGTERM].map { number -> any DispatchSourceSignal in
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number)
        source.setEventHandler { task.cancel() }
        source.resume()
        return source
    }
    defer {
        for (number, source) in zip([SIGINT, SIGTERM], sources) {
            source.cancel()
            signal(number, SIG_DFL)  // a later signal ends the process as usual
        }
    }
    return try await withTaskCancellationHandler { try await task.value } onCancel: { task.cancel() }
}
