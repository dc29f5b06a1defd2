#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's open-files limit (`RLIMIT_NOFILE`). Every connection costs a descriptor, and
/// the usual soft limit (1,024) is far below what a server needs, while the hard limit an
/// operator set is usually much higher: Herald raises the soft limit to the hard one at start.
enum OpenFilesLimit {
    /// Raises the soft limit to the hard limit; answers both after trying (unchanged on failure).
    static func raise() -> (soft: Int, hard: Int) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return (1024, 1024) }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return (clamp(limit.rlim_cur), clamp(limit.rlim_max))
    }

    /// The soft limit now.
    static func current() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        return clamp(limit.rlim_cur)
    }

    private static func clamp(_ value: rlim_t) -> Int {
        value > rlim_t(Int32.max) ? Int(Int32.max) : Int(value)  // RLIM_INFINITY included
    }
}
