import Foundation
import Glibc
import TomeEngine

/// The record of the corpus memory's step in flight, `STATE_DIR/engram.mem.journal`:
/// the header slot the step starts from, and the value before the step of
/// every counter it touches (undo); for a document's update, also its counts
/// and the store generation they bring (redo).
///
/// Written and synced before the first counter changes, so after a kill the
/// counters can always be put back to the header they still carry; an
/// update whose store transaction committed is then applied again. A torn
/// or stale journal (its checksum fails, or its header is not the file's)
/// is ignored: the step it describes never started, or finished.
///
/// Bytes, little-endian: magic `TOMEJRN1`, the header slot (2 KiB), count,
/// touched counter indexes, their values before; redo flag, and with it the
/// generation and the removed and added counts (IndexArchive); checksum.
struct MemoryJournal: Equatable {
    static let magic = Array("TOMEJRN1".utf8)

    /// What applying the update again needs.
    struct Redo: Equatable {
        var generation: Int64
        var removing: EngramContribution?
        var adding: EngramContribution?
    }

    var header: [UInt8]
    /// Counter indexes, ascending.
    var touched: [UInt32]
    var before: [UInt32]
    var redo: Redo?

    func encoded() -> [UInt8] {
        var w = IndexArchive.Writer()
        w.bytes(Self.magic)
        w.bytes(header)
        w.int(UInt64(touched.count))
        w.array(touched)
        w.array(before)
        w.int(UInt8(redo == nil ? 0 : 1))
        if let redo {
            w.int(redo.generation)
            for counts in [redo.removing, redo.adding] {
                let bytes = counts.map(IndexArchive.encode) ?? []
                w.int(UInt8(counts == nil ? 0 : 1))
                w.int(UInt64(bytes.count))
                w.bytes(bytes)
            }
        }
        var out = w.out
        withUnsafeBytes(of: Checksum.of(out).littleEndian) { out += $0 }
        return out
    }

    init(header: [UInt8], touched: [UInt32], before: [UInt32], redo: Redo?) {
        self.header = header
        self.touched = touched
        self.before = before
        self.redo = redo
    }

    /// Decodes a journal; nil when it is torn or damaged.
    init?(decoding bytes: [UInt8]) {
        guard bytes.count >= Self.magic.count + 8 else { return nil }
        let body = Array(bytes[..<(bytes.count - 8)])
        let sum = bytes[(bytes.count - 8)...].withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard Checksum.of(body) == sum else { return nil }
        var r = IndexArchive.Reader(body)
        do {
            guard try r.bytes(Self.magic.count) == Self.magic else { return nil }
            header = try r.bytes(MemoryHeader.slotSize)
            let n = try r.count()
            touched = try r.array(UInt32.self, n)
            before = try r.array(UInt32.self, n)
            if try r.int(UInt8.self) == 1 {
                let generation = try r.int(Int64.self)
                var counts: [EngramContribution?] = []
                for _ in 0..<2 {
                    let present = try r.int(UInt8.self) == 1
                    let bytes = try r.bytes(try r.count())
                    counts.append(present ? try IndexArchive.decodeEngram(bytes) : nil)
                }
                redo = Redo(generation: generation, removing: counts[0], adding: counts[1])
            } else {
                redo = nil
            }
            guard r.atEnd else { return nil }
        } catch {
            return nil
        }
    }

    /// Writes the journal and syncs it (the directory too, when the file is new).
    func write(to path: String) throws {
        let isNew = access(path, F_OK) != 0
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw SystemError("open \(path)", errno) }
        defer { close(fd) }
        try encoded().withUnsafeBytes { try writeAll(fd, $0, name: path) }
        guard fsync(fd) == 0 else { throw SystemError("fsync \(path)", errno) }
        if isNew { Self.syncDirectory(of: path) }
    }

    /// The journal at `path`; nil when there is none or it does not decode.
    static func read(from path: String) -> MemoryJournal? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return MemoryJournal(decoding: Array(data))
    }

    private static func syncDirectory(of path: String) {
        let fd = open((path as NSString).deletingLastPathComponent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }
}
