import Foundation
import HeraldServer
import HeraldTestSupport
import Testing

/// Which build answers: `GET /healthz` and the `herald_build_info` metric say it, from ``BuildInfo``.
@Suite("Build info", .timeLimit(.minutes(1)))
struct BuildInfoTests {
    @Test func healthzNamesTheVersionAndTheCommit() async throws {
        try await TestServer.with { server in
            let answer = try await server.get("/healthz")
            #expect(answer.status == 200)
            let health = try answer.json
            #expect(health["status"] as? String == "ok")
            #expect(health["version"] as? String == BuildInfo.version)
            #expect(health["commit"] as? String == BuildInfo.commit)
        }
    }

    @Test func metricsCarryTheBuildInfoGauge() async throws {
        try await TestServer.with { server in
            let answer = try await server.get("/metrics")
            #expect(answer.status == 200)
            // swift-prometheus writes gauges as floating-point numbers: `… 1.0`.
            let series = #"herald_build_info{version="\#(BuildInfo.version)",commit="\#(BuildInfo.commit)"} "#
            let line = try #require(answer.text.split(separator: "\n").first { $0.hasPrefix(series) }, "\(answer.text)")
            #expect(Double(line.dropFirst(series.count)) == 1)
        }
    }

    @Test func theVersionIsSemanticAndASourceBuildSaysSo() {
        #expect(BuildInfo.version.wholeMatch(of: /\d+\.\d+\.\d+/) != nil)
        // scripts/release.sh stamps commit and date; a build from source must not pretend to be a release.
        if BuildInfo.date == "unknown" {
            #expect(BuildInfo.summary == "\(BuildInfo.version) (commit \(BuildInfo.commit), built from source)")
        } else {
            #expect(BuildInfo.summary == "\(BuildInfo.version) (commit \(BuildInfo.commit), built \(BuildInfo.date))")
        }
    }
}
