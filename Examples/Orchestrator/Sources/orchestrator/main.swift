import DemoOrchestrator
import HeraldClient
import Foundation

// Usage: orchestrator [--server URL] [--run NAME] [--fail]
let arguments = CommandLine.arguments.dropFirst()
func option(_ name: String) -> String? {
    arguments.firstIndex(of: name).flatMap { arguments.index(after: $0) < arguments.endIndex ? arguments[arguments.index(after: $0)] : nil }
}
let server = option("--server") ?? "http://127.0.0.1:7373"
let run = option("--run") ?? "example-\(Int(Date.now.timeIntervalSince1970))"

// One emitter for the whole run: emits never block or throw; `withEmitter` delivers everything
// before it returns.
let counters = try await Emitter.withEmitter(sink: HTTPSink(baseURL: server), configuration: .init(run: run)) { herald in
    print("watch it live: herald watch \(run) --server \(server)")
    try await DemoOrchestrator(herald: herald, options: .init(run: run, fail: arguments.contains("--fail"))).run()
    return herald.counters
}
print("delivered \(counters.delivered) events (\(counters.failed) failed, \(counters.dropped) dropped)")
