// scripts/release.sh stamps a release build with sed: it rewrites the two lines
//     public static let commit = "unknown"
//     public static let date = "unknown"
// to the short commit and the UTC build time (`2026-12-06T23:59:00Z`), so each stays a plain
// string literal on a line of its own, spelled exactly so. A build from source keeps "unknown".

/// Which Herald this is: `herald --version`, `GET /healthz` and the `herald_build_info` metric
/// all read it from here.
public enum BuildInfo {
    /// The release, as semantic versioning reads it.
    public static let version = "0.9.0"
    /// The git commit a release was built from; "unknown" in a build from source.
    public static let commit = "unknown"
    /// When a release was built (UTC, RFC 3339); "unknown" in a build from source.
    public static let date = "unknown"

    /// `0.9.0 (commit abc1234, built 2026-12-06T23:59:00Z)`, or for a build from source
    /// `0.9.0 (commit unknown, built from source)`.
    public static var summary: String {
        "\(version) (commit \(commit), built \(date == "unknown" ? "from source" : date))"
    }
}
