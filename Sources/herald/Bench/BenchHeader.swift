import Foundation

/// The preamble every mode prints: what was run, on what, when — so a pasted result says
/// where it came from.
enum BenchHeader {
    static func print(server: String) {
        let command = CommandLine.arguments.map(quoted).joined(separator: " ")
        Swift.print("$ \(command)")
        Swift.print("machine: \(machine)")
        Swift.print("server:  \(server)")
        Swift.print("date:    \(Date().formatted(.iso8601))")
        if let load = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) {
            // Other work on the machine skews every figure: say how busy it was.
            Swift.print("load:    \(load.split(separator: " ").prefix(3).joined(separator: " ")) (1, 5, 15 min)")
        }
        fflush(nil)
    }

    /// `2 × Intel(R) Xeon(R) …, 23.4 GiB, Linux 6.8.0`
    static var machine: String {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let memory = Double(ProcessInfo.processInfo.physicalMemory) / Double(1 << 30)
        var kernel = ""
        if let release = try? String(contentsOfFile: "/proc/sys/kernel/osrelease", encoding: .utf8) {
            kernel = ", Linux \(release.trimmingCharacters(in: .whitespacesAndNewlines))"
        }
        return "nproc \(cores), \(cpuModel), \(String(format: "%.1f", memory)) GiB\(kernel)"
    }

    /// The CPU model from `/proc/cpuinfo`, or the architecture where there is none.
    static var cpuModel: String {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown CPU" }
        for line in info.split(separator: "\n") where line.hasPrefix("model name") {
            if let colon = line.firstIndex(of: ":") {
                return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return "unknown CPU"
    }

    private static func quoted(_ argument: String) -> String {
        let plain = argument.allSatisfy { $0.isLetter || $0.isNumber || "-_./:=,@%+".contains($0) }
        return plain && !argument.isEmpty ? argument : "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
