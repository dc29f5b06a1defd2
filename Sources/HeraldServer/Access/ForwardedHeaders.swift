import HeraldCore

/// Reads the chain of addresses a request passed through from `X-Forwarded-For` or RFC 7239
/// `Forwarded`: left to right, the client first and the last proxy's peer last, one entry per
/// hop. An entry that names no address (junk, `unknown`, an obfuscated `_node`, an element
/// without `for=`) is nil: whether that matters depends on where it stands
/// (``TrustedProxies/client(peer:forwardedFor:forwarded:)``).
enum ForwardedHeaders {
    /// The hops of every `X-Forwarded-For` line in order: `203.0.113.7, 10.0.0.2`.
    static func xForwardedFor(_ lines: [String]) -> [IPAddress?] {
        lines.flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }.map { node($0.trimmingSpaces) }
    }

    /// The `for=` of each element of every `Forwarded` line in order:
    /// `for=203.0.113.7;proto=https, for="[2001:db8::1]:4711"`.
    static func forwarded(_ lines: [String]) -> [IPAddress?] {
        lines.flatMap { split($0[...], on: ",") }.map { (element: Substring) -> IPAddress? in
            var node: IPAddress?? = .none
            for pair in split(element, on: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2, parts[0].trimmingSpaces.lowercased() == "for" else { continue }
                // A second for= in one element: which hop it names is anyone's guess.
                guard node == .none else { return nil }
                node = .some(unquoted(parts[1].trimmingSpaces).flatMap { Self.node($0[...]) })
            }
            return node ?? nil
        }
    }

    /// An address as a hop names it: `192.0.2.7`, `192.0.2.7:4711`, `2001:db8::1`,
    /// `[2001:db8::1]` or `[2001:db8::1]:4711`.
    static func node(_ text: Substring) -> IPAddress? {
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let rest = text[text.index(after: close)...]
            guard rest.isEmpty || isPort(rest.dropFirst()) && rest.hasPrefix(":") else { return nil }
            let inner = text[text.index(after: text.startIndex)..<close]
            return inner.contains(":") ? IPAddress(inner) : nil
        }
        let colons = text.count { $0 == ":" }
        if colons == 1, let colon = text.firstIndex(of: ":") {
            guard isPort(text[text.index(after: colon)...]) else { return nil }
            return IPAddress(text[..<colon])
        }
        return IPAddress(text)
    }

    private static func isPort(_ text: Substring) -> Bool {
        !text.isEmpty && text.count <= 5 && text.allSatisfy { ("0"..."9").contains($0) }
    }

    /// A quoted-string's content (with `\` escapes undone), or a token as it is; nil for a quote
    /// that does not close.
    private static func unquoted(_ text: Substring) -> String? {
        guard text.hasPrefix("\"") else { return String(text) }
        var result = ""
        var escaped = false
        for (offset, character) in text.dropFirst().enumerated() {
            if escaped {
                result.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "\"" {
                // The closing quote must end the value.
                return offset == text.count - 2 ? result : nil
            } else {
                result.append(character)
            }
        }
        return nil
    }

    /// `text` cut at each `separator` outside a quoted-string.
    private static func split(_ text: Substring, on separator: Character) -> [Substring] {
        var parts: [Substring] = []
        var start = text.startIndex
        var quoted = false
        var escaped = false
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if escaped {
                escaped = false
            } else if quoted, character == "\\" {
                escaped = true
            } else if character == "\"" {
                quoted.toggle()
            } else if !quoted, character == separator {
                parts.append(text[start..<index])
                start = text.index(after: index)
            }
            index = text.index(after: index)
        }
        parts.append(text[start...])
        return parts
    }
}
