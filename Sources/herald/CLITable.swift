/// A plain-text table with aligned columns, printed a block of rows at a time.
///
/// Column widths grow to fit the rows seen so far, so a table printed page by page stays
/// aligned unless a later page holds a wider value.
struct CLITable {
    struct Column {
        var title: String
        var alignRight = false
        /// Longer values are cut with an ellipsis.
        var maxWidth = Int.max
    }

    let columns: [Column]
    private var widths: [Int]
    private var printedHeader = false

    init(_ columns: [Column]) {
        self.columns = columns
        self.widths = columns.map(\.title.count)
    }

    /// The lines for `rows`, preceded by the header the first time.
    mutating func render(_ rows: [[String]]) -> [String] {
        let rows = rows.map { row in zip(row, columns).map { CLIFormat.truncate($0, to: $1.maxWidth) } }
        for row in rows {
            for (index, value) in row.enumerated() { widths[index] = max(widths[index], value.count) }
        }
        var lines: [String] = []
        if !printedHeader {
            lines.append(format(columns.map(\.title)))
            printedHeader = true
        }
        lines.append(contentsOf: rows.map(format))
        return lines
    }

    private func format(_ row: [String]) -> String {
        var line = ""
        for (index, value) in row.enumerated() {
            let padding = String(repeating: " ", count: max(0, widths[index] - value.count))
            let isLast = index == row.count - 1
            if index > 0 { line += "  " }
            line += columns[index].alignRight ? padding + value : (isLast ? value : value + padding)
        }
        while line.last == " " { line.removeLast() }
        return line
    }
}
