import Foundation
import Histogram

/// Formatting shared by the modes, so every result reads the same way.
enum BenchReport {
    /// `p50 1.23  p90 2.34  p99 5.67  p99.9 8.90  max 12.3` in milliseconds.
    static func latency(_ histogram: Histogram<UInt64>) -> String {
        guard histogram.totalCount > 0 else { return "no samples" }
        let points: [(String, Double)] = [("p50", 50), ("p90", 90), ("p99", 99), ("p99.9", 99.9)]
        var parts = points.map { "\($0.0) \(milliseconds(histogram.valueAtPercentile($0.1)))" }
        parts.append("max \(milliseconds(histogram.max))")
        return parts.joined(separator: "  ") + " ms"
    }

    /// Microseconds as milliseconds with three significant-ish digits.
    static func milliseconds(_ microseconds: UInt64) -> String {
        let value = Double(microseconds) / 1000
        switch value {
        case ..<10: return String(format: "%.2f", value)
        case ..<100: return String(format: "%.1f", value)
        default: return String(format: "%.0f", value)
        }
    }

    /// `10` or `2.50`: whole seconds without decimals.
    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.2f", value)
    }

    /// `123,456`
    static func count(_ value: Double) -> String {
        let formatter = NumberFormatter()
        formatter.numberStyle = .decimal
        formatter.maximumFractionDigits = 0
        return formatter.string(from: NSNumber(value: value.rounded())) ?? String(Int(value))
    }

    /// `none`, or `503 ×12, 429 ×1, transport ×3 (connection reset …)`.
    static func errors(_ stats: LoadStats) -> String {
        var parts = stats.statuses.sorted { $0.key < $1.key }.map { "HTTP \($0.key) ×\($0.value)" }
        for (description, count) in stats.transport.sorted(by: { $0.value > $1.value }) {
            parts.append("\(description) ×\(count)")
        }
        return parts.isEmpty ? "none" : parts.joined(separator: ", ")
    }

    /// A labelled line: `label ....... value`.
    static func line(_ label: String, _ value: String) {
        print(label.padding(toLength: 14, withPad: " ", startingAt: 0) + value)
    }

    /// A line that must not be missed; the mode then fails with a summary on standard error.
    static func violation(_ message: String) {
        print("!! \(message)")
        fflush(nil)
    }
}
