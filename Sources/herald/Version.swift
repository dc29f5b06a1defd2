import ArgumentParser
import HeraldServer

/// `herald version`: the same line as `herald --version`, for those who type it as a command.
struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print Herald's version, the commit it was built from and when.")

    /// `herald 0.9.0 (commit abc1234, built 2026-12-06T23:59:00Z)`.
    static let line = "herald \(BuildInfo.summary)"

    func run() {
        print(Self.line)
    }
}
