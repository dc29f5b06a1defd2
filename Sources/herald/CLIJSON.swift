import HeraldCore

/// Small JSON checks the commands make before sending, so a typo is reported against the
/// option rather than as a position in a request body.
enum CLIJSON {
    /// Whether `bytes` is exactly one well-formed JSON object.
    static func isObject(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { buffer in
            var reader = JSONReader(buffer)
            guard reader.peek() == UInt8(ascii: "{") else { return false }
            do {
                try reader.skipValue()
                return reader.isAtEnd
            } catch {
                return false
            }
        }
    }
}
