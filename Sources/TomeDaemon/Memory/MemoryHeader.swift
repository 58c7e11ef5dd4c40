import TomeEngine

/// One header slot of the corpus memory file: what the counters behind it
/// hold. The file has two 2 KiB slots; a change writes the slot not in use,
/// so a kill while it is written leaves the other one intact, and the valid
/// slot with the higher `sequence` is current.
///
/// Slot bytes, little-endian: magic `TOMEENG2`, version, orders, heads, the
/// table sizes, documents, generation, n-grams per order, `rebuiltThrough`,
/// epoch, sequence, the region sums, zero padding, and at byte 2040 the
/// checksum of everything before it.
struct MemoryHeader: Equatable, Sendable {
    static let slotSize = 2048
    static let magic = Array("TOMEENG2".utf8)
    static let version: UInt32 = 2
    /// Counters per region of `regionSums`: 512 KiB of the file each.
    static let regionCounters = 1 << 17

    var orders: UInt32
    var heads: UInt32
    var sizes: [UInt32]
    /// Documents counted, and n-grams per order over all of them.
    var documents: UInt64 = 0
    /// The store's `engram_state.generation` the counters match; -1: none
    /// (a new file, or one marked stale, to be rebuilt).
    var generation: Int64 = -1
    var totals: [UInt64]
    /// -1 when the counters are complete; during a rebuild toward
    /// `generation`, the last document id whose counts are in.
    var rebuiltThrough: Int64 = -1
    /// Drawn at each reset, so a journal written before a rebuild can never
    /// match a header written after it.
    var epoch: UInt64 = 0
    var sequence: UInt64 = 0
    /// Per region of `regionCounters` counters: Σ `Checksum.counter(i, value)`.
    /// Kept up to date by every change; checked in full at start.
    var regionSums: [UInt64]

    /// An empty memory for `layout`: zero counters, no generation.
    init(layout: EngramLayout, counterCount: Int) {
        orders = UInt32(layout.orders)
        heads = UInt32(layout.heads)
        sizes = layout.sizes.joined().map(UInt32.init)
        totals = [UInt64](repeating: 0, count: layout.orders)
        regionSums = [UInt64](repeating: 0, count: (counterCount + Self.regionCounters - 1) / Self.regionCounters)
    }

    /// Whether this header describes `layout`'s tables.
    func fits(_ layout: EngramLayout, counterCount: Int) -> Bool {
        orders == UInt32(layout.orders) && heads == UInt32(layout.heads) && sizes == layout.sizes.joined().map(UInt32.init)
            && totals.count == layout.orders && regionSums.count == (counterCount + Self.regionCounters - 1) / Self.regionCounters
    }

    /// The slot's bytes; nil when the layout needs more than a slot holds.
    func encoded() -> [UInt8]? {
        var w = IndexArchive.Writer()
        w.bytes(Self.magic)
        w.int(Self.version)
        w.int(orders)
        w.int(heads)
        w.int(UInt32(sizes.count))
        w.array(sizes)
        w.int(documents)
        w.int(generation)
        w.int(UInt32(totals.count))
        w.array(totals)
        w.int(rebuiltThrough)
        w.int(epoch)
        w.int(sequence)
        w.int(UInt32(regionSums.count))
        w.array(regionSums)
        guard w.out.count <= Self.slotSize - 8 else { return nil }
        var bytes = w.out + [UInt8](repeating: 0, count: Self.slotSize - 8 - w.out.count)
        withUnsafeBytes(of: Checksum.of(bytes).littleEndian) { bytes += $0 }
        return bytes
    }

    /// Reads a slot; nil unless magic, version and checksum hold.
    init?(slot bytes: [UInt8]) {
        guard bytes.count == Self.slotSize,
              Checksum.of(Array(bytes[0..<(Self.slotSize - 8)]))
                == bytes[(Self.slotSize - 8)...].withUnsafeBytes({ UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) })
        else { return nil }
        var r = IndexArchive.Reader(bytes)
        do {
            guard try r.bytes(8) == Self.magic, try r.int(UInt32.self) == Self.version else { return nil }
            orders = try r.int(UInt32.self)
            heads = try r.int(UInt32.self)
            sizes = try r.array(UInt32.self, Int(try r.int(UInt32.self)))
            documents = try r.int(UInt64.self)
            generation = try r.int(Int64.self)
            totals = try r.array(UInt64.self, Int(try r.int(UInt32.self)))
            rebuiltThrough = try r.int(Int64.self)
            epoch = try r.int(UInt64.self)
            sequence = try r.int(UInt64.self)
            regionSums = try r.array(UInt64.self, Int(try r.int(UInt32.self)))
        } catch {
            return nil
        }
    }
}

/// The 64-bit checksums of the corpus memory: of a byte record (header
/// slots, the journal), and of one counter for the region sums.
enum Checksum {
    /// splitmix64's finaliser: every input bit moves every output bit.
    @inline(__always)
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A chained hash of the bytes, eight at a time.
    static func of(_ bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBytes { raw in
            var h = mix(UInt64(raw.count))
            let words = raw.count / 8
            for i in 0..<words { h = mix(h ^ UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))) }
            var tail: UInt64 = 0
            for i in (words * 8)..<raw.count { tail = tail << 8 | UInt64(raw[i]) }
            return mix(h ^ tail)
        }
    }

    /// Counter `index` holding `value`, as a term of its region's sum. Zero
    /// counts nothing, so an all-zero region sums to 0; a sum is a plain
    /// wrapping addition, so a change updates it in O(1).
    @inline(__always)
    static func counter(_ index: Int, _ value: UInt32) -> UInt64 {
        value == 0 ? 0 : mix(UInt64(index) << 32 | UInt64(value))
    }
}
