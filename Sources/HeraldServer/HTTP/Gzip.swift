import CZlib
import HeraldCore
import NIOCore

/// Request bodies sent with `Content-Encoding: gzip` (or `deflate`), inflated with the system's
/// zlib up to a bound, so a small compressed body cannot become a large one in memory.
enum Gzip {
    /// The inflated bytes of `body`; `payload_too_large` past `maxBytes`, `invalid_request` when
    /// the body is not gzip or zlib data.
    static func inflate(_ body: ByteBuffer, maxBytes: Int) throws(HeraldError) -> [UInt8] {
        var stream = z_stream()
        // 15 window bits + 32: read a gzip or a zlib header, whichever the body has.
        guard inflateInit2_(&stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw HeraldError(.internalError, "zlib could not start")
        }
        defer { inflateEnd(&stream) }
        enum Outcome { case done, tooLarge, truncated, invalid }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        let outcome: Outcome = body.withUnsafeReadableBytes { input in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
            stream.avail_in = uInt(input.count)
            while true {
                let result: Int32 = chunk.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = uInt(out.count)
                    return CZlib.inflate(&stream, Z_NO_FLUSH)
                }
                let produced = chunk.count - Int(stream.avail_out)
                if output.count + produced > maxBytes { return .tooLarge }
                output.append(contentsOf: chunk[0..<produced])
                switch result {
                case Z_STREAM_END: return stream.avail_in == 0 ? .done : .invalid  // data after the stream
                case Z_OK: continue
                case Z_BUF_ERROR where stream.avail_in == 0: return .truncated  // input ended mid-stream
                default: return .invalid
                }
            }
        }
        switch outcome {
        case .done: return output
        case .tooLarge: throw HeraldError(.payloadTooLarge, "the request body inflates to more than \(maxBytes) bytes")
        case .truncated: throw HeraldError(.invalidRequest, "the gzip body is truncated")
        case .invalid: throw HeraldError(.invalidRequest, "the body is not valid gzip data (Content-Encoding says it is)")
        }
    }
}
