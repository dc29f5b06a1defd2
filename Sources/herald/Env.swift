import Foundation

/// Environment variables as option defaults: every flag also reads `HERALD_*`.
enum Env {
    static func string(_ name: String) -> String? {
        ProcessInfo.processInfo.environment[name].flatMap { $0.isEmpty ? nil : $0 }
    }

    static func int(_ name: String) -> Int? { string(name).flatMap(Int.init) }
}
