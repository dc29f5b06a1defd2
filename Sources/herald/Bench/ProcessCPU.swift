import Foundation
import NIOCore
import NIOPosix

/// CPU time used by the bench client, so every report can say how much of the machine the
/// client took from the server it measures.
enum ProcessCPU {
    /// User plus system seconds of the whole process so far.
    static func seconds() -> Double {
        var usage = rusage()
        #if os(Linux)
        getrusage(RUSAGE_SELF.rawValue, &usage)
        #else
        getrusage(RUSAGE_SELF, &usage)
        #endif
        return seconds(usage)
    }

    /// User plus system seconds of the calling thread (the whole process where the system cannot
    /// tell threads apart).
    static func currentThreadSeconds() -> Double {
        #if os(Linux)
        var usage = rusage()
        getrusage(1, &usage)  // RUSAGE_THREAD, which Glibc's module map does not export
        return seconds(usage)
        #else
        return seconds()
        #endif
    }

    /// CPU seconds used so far by the threads of `group`.
    static func seconds(of group: MultiThreadedEventLoopGroup) async throws -> Double {
        var total = 0.0
        for eventLoop in group.makeIterator() {
            total += try await eventLoop.submit { currentThreadSeconds() }.get()
        }
        return total
    }

    private static func seconds(_ usage: rusage) -> Double {
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}

/// How much CPU the bench process used over a stretch of time: the client's share of a machine
/// it shares with the server.
struct CPUMeter: Sendable {
    private let cpuStart = ProcessCPU.seconds()
    private let start = NIODeadline.now()

    /// `0.31 cores (12.4 µs per request)`
    func summary(requests: Int) -> String {
        let cpu = ProcessCPU.seconds() - cpuStart
        let elapsed = Double((NIODeadline.now() - start).nanoseconds) / 1e9
        let perRequest = requests > 0 ? String(format: " (%.1f µs per request)", cpu / Double(requests) * 1e6) : ""
        return String(format: "%.2f cores", cpu / max(elapsed, 1e-9)) + perRequest
    }
}
