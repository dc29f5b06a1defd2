import HeraldCore

/// Names of rotated JSONL files: `<prefix>-YYYYMMDDTHHMMSS.ffffffZ.jsonl`, UTC.
///
/// The stamp has a fixed width, so names sort as text in time order, and `ls` shows them in
/// the order a reader must take them.
enum RotatedFileName {
    static let stampLength = 23

    /// The live file's name: `<prefix>.jsonl`.
    static func live(prefix: String) -> String { prefix + ".jsonl" }

    /// `<prefix>-20261122T142005.123456Z.jsonl`
    static func name(prefix: String, stamp: Timestamp) -> String {
        prefix + "-" + stamp.rfc3339.filter { $0 != "-" && $0 != ":" } + ".jsonl"
    }

    /// The stamp of a rotated file of `prefix`, or nil when `name` is not one.
    static func stamp(of name: String, prefix: String) -> Timestamp? {
        let head = prefix + "-"
        guard name.hasPrefix(head), name.hasSuffix(".jsonl") else { return nil }
        let stamp = Array(name.utf8.dropFirst(head.utf8.count).dropLast(".jsonl".utf8.count))
        // YYYYMMDD T HHMMSS . ffffff Z
        guard stamp.count == stampLength, stamp[8] == UInt8(ascii: "T"), stamp[15] == UInt8(ascii: "."),
            stamp[22] == UInt8(ascii: "Z")
        else { return nil }
        let text = String(decoding: stamp, as: UTF8.self)
        func part(_ from: Int, _ count: Int) -> Substring {
            let start = text.index(text.startIndex, offsetBy: from)
            return text[start..<text.index(start, offsetBy: count)]
        }
        let rfc3339 = "\(part(0, 4))-\(part(4, 2))-\(part(6, 2))T\(part(9, 2)):\(part(11, 2)):\(part(13, 2)).\(part(16, 6))Z"
        guard let value = Timestamp(rfc3339: rfc3339), name == self.name(prefix: prefix, stamp: value) else { return nil }
        return value
    }
}
