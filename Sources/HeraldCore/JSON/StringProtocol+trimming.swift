extension StringProtocol {
    /// Without leading and trailing spaces and tabs (header values, log lines), without
    /// Foundation: its `trimmingCharacters(in:)` goes through NSString, slower, and seen to
    /// crash when called from many threads at once on Linux.
    public var trimmingSpaces: SubSequence {
        let start = firstIndex { $0 != " " && $0 != "\t" } ?? endIndex
        let end = lastIndex { $0 != " " && $0 != "\t" }.map(index(after:)) ?? start
        return self[start..<Swift.max(start, end)]
    }
}
