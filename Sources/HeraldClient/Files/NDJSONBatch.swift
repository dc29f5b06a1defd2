/// Lines gathered into one NDJSON request body, bounded by a line count and a byte size so a
/// batch stays under the server's per-request limits.
///
/// ```swift
/// var batch = NDJSONBatch(maxLines: 500, maxBytes: 1 << 20)
/// for line in lines {
///     if !batch.fits(line) { try await client.post(ndjson: batch.body); batch.removeAll() }
///     batch.append(line)
/// }
/// ```
public struct NDJSONBatch: Sendable {
    /// The request body: each line followed by a newline.
    public private(set) var body: [UInt8] = []
    /// Lines in the batch.
    public private(set) var count = 0
    /// Most lines in one batch.
    public let maxLines: Int
    /// Most body bytes in one batch (a single larger line is still taken alone).
    public let maxBytes: Int

    /// An empty batch with these bounds.
    public init(maxLines: Int = 500, maxBytes: Int = 1 << 20) {
        precondition(maxLines > 0 && maxBytes > 0, "a batch must be able to hold a line")
        self.maxLines = maxLines
        self.maxBytes = maxBytes
        body.reserveCapacity(min(maxBytes, 4 << 20))
    }

    /// Whether the batch holds no line.
    public var isEmpty: Bool { count == 0 }

    /// Whether `line` may join the batch. An empty batch takes any line, however large, so that
    /// the server (not the batcher) judges an oversized event.
    public func fits(_ line: some Collection<UInt8>) -> Bool {
        count == 0 || (count < maxLines && body.count + line.count + 1 <= maxBytes)
    }

    /// Adds `line` (without its newline).
    public mutating func append(_ line: some Collection<UInt8>) {
        body.append(contentsOf: line)
        body.append(0x0A)
        count += 1
    }

    /// Empties the batch, keeping its storage for the next one.
    public mutating func removeAll() {
        body.removeAll(keepingCapacity: true)
        count = 0
    }
}
