/// The grammar of run, project, type and agent names.
public enum Names {
    /// `[A-Za-z0-9._:-]{1,128}`: runs and projects.
    public static func isValidRun(_ name: String) -> Bool {
        let utf8 = name.utf8
        return (1...128).contains(utf8.count) && utf8.allSatisfy { byte in
            isAlphanumeric(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ":")
                || byte == UInt8(ascii: "-")
        }
    }

    /// Lowercase dotted names: `[a-z][a-z0-9_]*(\.[a-z0-9_]+)*`, at most 128 characters.
    public static func isValidType(_ name: String) -> Bool {
        let utf8 = Array(name.utf8)
        guard (1...128).contains(utf8.count), let first = utf8.first, isLower(first) else { return false }
        var previousWasDot = false
        for byte in utf8 {
            if byte == UInt8(ascii: ".") {
                if previousWasDot { return false }
                previousWasDot = true
            } else {
                guard isLower(byte) || isDigit(byte) || byte == UInt8(ascii: "_") else { return false }
                previousWasDot = false
            }
        }
        return !previousWasDot
    }

    /// 1 to 128 bytes, printable, no commas (lists of agents are comma-separated in URLs).
    public static func isValidAgent(_ name: String) -> Bool {
        let utf8 = name.utf8
        return (1...128).contains(utf8.count) && utf8.allSatisfy { $0 >= 0x20 && $0 != 0x7F && $0 != UInt8(ascii: ",") }
    }

    static func isLower(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") }
    static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        isLower(byte) || isDigit(byte) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
    }
}
