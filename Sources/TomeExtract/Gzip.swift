import CZlib

/// Decompresses gzip data (all members, as `gunzip` does) with a bound on the
/// output, so that a small compressed bomb cannot take the machine's memory.
package enum Gzip {
    /// True when `bytes` starts with the gzip magic number.
    static func isGzip(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
    }

    /// Returns the decompressed bytes, or throws `too_large` past `limit`
    /// bytes of output and `corrupt` on damaged or truncated data.
    package static func decompress(_ input: [UInt8], limit: Int) throws(ExtractionError) -> [UInt8] {
        guard input.count < Int(UInt32.max) else {
            throw ExtractionError(.tooLarge, "gzip input over 4 GiB")
        }
        var stream = z_stream()
        // 15 + 16: a gzip wrapper only (zlib's windowBits convention).
        guard tome_inflate_init2(&stream, 15 + 16) == Z_OK else {
            throw ExtractionError(.corrupt, "cannot start gzip decoder")
        }
        defer { inflateEnd(&stream) }

        var output: [UInt8] = []
        output.reserveCapacity(min(limit, input.count * 4))
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        let failure: ExtractionError? = input.withUnsafeBufferPointer { inBuf in
            stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
            stream.avail_in = UInt32(inBuf.count)
            while true {
                let status = chunk.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = UInt32(out.count)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                let produced = chunk.count - Int(stream.avail_out)
                if output.count + produced > limit {
                    return ExtractionError(.tooLarge, "gzip data expands to more than \(limit) bytes (the limit)")
                }
                output.append(contentsOf: chunk[0..<produced])
                switch status {
                case Z_STREAM_END:
                    // Another member follows only if it starts with the magic number;
                    // anything else (zero padding) ends the stream, as gunzip does.
                    let rest = Int(stream.avail_in)
                    guard rest >= 2, let next = stream.next_in, next[0] == 0x1F, next[1] == 0x8B else { return nil }
                    guard inflateReset(&stream) == Z_OK else { return ExtractionError(.corrupt, "gzip decoder reset failed") }
                case Z_OK:
                    continue
                case Z_BUF_ERROR where stream.avail_in == 0:
                    return ExtractionError(.corrupt, "gzip data is truncated")
                default:
                    let reason = stream.msg.map { String(cString: $0) } ?? "zlib status \(status)"
                    return ExtractionError(.corrupt, "gzip data is damaged: \(reason)")
                }
            }
        }
        if let failure { throw failure }
        return output
    }
}
