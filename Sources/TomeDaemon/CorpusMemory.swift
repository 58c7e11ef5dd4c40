import Foundation
import Glibc
import Logging
import Synchronization
import TomeEngine
import TomeStore

/// The corpus's Engram memory: one memory-mapped file, `STATE_DIR/engram.mem`.
///
/// Layout: a 4 KiB header — magic `TOMEENG1`, version, orders, heads, the 16
/// table sizes, document count, generation, n-grams per order — then the
/// counters (`df[slots]`, `cf[slots]`, UInt32). The engine reads and updates
/// the counters in place; this type owns the mapping, the lock and the header.
///
/// The file is derived data. Its generation must equal the store's
/// `engram_state.generation`, bumped in the same transaction as each commit or
/// delete that changes what it should count; while counters change the header
/// says -1. A mismatch at start (a crash between the two, other parameters, a
/// missing or damaged file) rebuilds it from the stored texts.
final class CorpusMemory: @unchecked Sendable {  // all access goes through `lock`
    static let magic = Array("TOMEENG1".utf8)
    static let version: UInt32 = 1
    static let headerSize = 4096

    let hasher: NgramHasher
    private let path: String
    private let fd: Int32
    private let base: UnsafeMutableRawPointer
    private let size: Int
    private let lock = ReadWriteLock()
    /// Held across a store commit and the matching `apply`, so the file's
    /// updates happen in the order of the store's generations.
    let commitLock = Mutex(())

    private enum Field: Int {
        case version = 8, orders = 12, heads = 16, sizes = 20, documents = 88, generation = 96, totals = 104
    }

    /// Opens (or creates) the file; a header that does not fit `hasher` starts it empty, needing a rebuild.
    /// Its blocks are reserved first (`posix_fallocate`): a mapping of a sparse
    /// file on a full disk would die of SIGBUS at the first write, where this
    /// fails cleanly with "No space left on device".
    init(path: String, hasher: NgramHasher = NgramHasher()) throws {
        self.path = path
        self.hasher = hasher
        size = Self.headerSize + EngramMemory.counterCount(hasher.layout) * 4
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw SystemError("open \(path)", errno) }
        var info = stat()
        fstat(fd, &info)
        let fresh = Int(info.st_size) != size
        if fresh, ftruncate(fd, 0) != 0 {
            let code = errno
            close(fd)
            throw SystemError("ftruncate \(path)", code)
        }
        let reserved = posix_fallocate(fd, 0, off_t(size))
        guard reserved == 0 else {
            close(fd)
            throw SystemError("reserving \(size >> 20) MiB for the corpus memory \(path)", reserved)
        }
        guard let mapped = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), mapped != MAP_FAILED else {
            let code = errno
            close(fd)
            throw SystemError("mmap \(path)", code)
        }
        base = mapped
        if fresh || !headerMatches() { reset() }
    }

    deinit {
        msync(base, size, MS_SYNC)
        munmap(base, size)
        close(fd)
    }

    private func load<T: BitwiseCopyable>(_ field: Field, _ index: Int = 0) -> T {
        base.loadUnaligned(fromByteOffset: field.rawValue + index * MemoryLayout<T>.size, as: T.self)
    }

    private func store<T: BitwiseCopyable>(_ value: T, _ field: Field, _ index: Int = 0) {
        base.storeBytes(of: value, toByteOffset: field.rawValue + index * MemoryLayout<T>.size, as: T.self)
    }

    private func headerMatches() -> Bool {
        let layout = hasher.layout
        guard Array(UnsafeRawBufferPointer(start: base, count: 8)) == Self.magic, load(.version) == Self.version,
              load(.orders) == UInt32(layout.orders), load(.heads) == UInt32(layout.heads) else { return false }
        let sizes = layout.sizes.joined().map(UInt32.init)
        return sizes.enumerated().allSatisfy { load(.sizes, $0.offset) == $0.element }
    }

    /// Zero counters and a header for `hasher`'s layout, generation -1 (no match).
    private func reset() {
        memset(base, 0, size)
        for (i, b) in Self.magic.enumerated() { base.storeBytes(of: b, toByteOffset: i, as: UInt8.self) }
        store(Self.version, .version)
        store(UInt32(hasher.layout.orders), .orders)
        store(UInt32(hasher.layout.heads), .heads)
        for (i, s) in hasher.layout.sizes.joined().enumerated() { store(UInt32(s), .sizes, i) }
        store(Int64(-1), .generation)
    }

    var generation: Int64 { lock.read { load(.generation) } }
    var documents: UInt64 { lock.read { load(.documents) } }

    private var counters: UnsafeMutableBufferPointer<UInt32> {
        UnsafeMutableBufferPointer(start: (base + Self.headerSize).bindMemory(to: UInt32.self, capacity: EngramMemory.counterCount(hasher.layout)),
                                   count: EngramMemory.counterCount(hasher.layout))
    }

    private func view() -> EngramMemory {
        EngramMemory(hasher: hasher, counters: counters, documents: load(.documents), totals: (0..<hasher.layout.orders).map { load(.totals, $0) })
    }

    /// Runs `body` with the memory for reading (many readers at once).
    func read<R>(_ body: (EngramMemory) throws -> R) rethrows -> R {
        try lock.read { try body(view()) }
    }

    /// Takes out a document's previous counts (a reprocess or a delete) and
    /// adds its new ones, then records the store's generation. Counts that do
    /// not decode leave the file marked stale, to be rebuilt at the next
    /// start, and throw.
    func update(removing old: EngramContribution?, adding new: EngramContribution?, generation: Int64) throws(EngineError) {
        try lock.write { () throws(EngineError) in
            store(Int64(-1), .generation)  // dirty while the counters change
            if let old { try add(old, sign: -1) }
            if let new { try add(new, sign: 1) }
            commit(generation: generation)
        }
    }

    /// Changes the counters and the header's figures; the caller holds the write lock.
    private func add(_ contribution: EngramContribution, sign: Int) throws(EngineError) {
        var memory = view()
        try memory.apply(contribution, sign: sign)
        store(memory.documents, .documents)
        for (o, total) in memory.totals.enumerated() { store(total, .totals, o) }
    }

    /// Counters to disk, then the generation that says they match the store.
    private func commit(generation: Int64) {
        msync(base, size, MS_SYNC)
        store(generation, .generation)
        msync(base, Self.headerSize, MS_SYNC)
    }

    /// Makes the file match the store, rebuilding it from the Engram counts
    /// stored with each document when the generations differ (no text is
    /// read again). Returns the documents counted (0 when it matched).
    @discardableResult
    func reconcile(with store: Store, logger: Logger) throws -> Int {
        let wanted = try store.engramGeneration()
        guard generation != wanted else { return 0 }
        logger.notice("rebuilding the corpus memory", metadata: ["file_generation": "\(generation)", "store_generation": "\(wanted)"])
        // At start, before any worker runs: nothing else changes the store meanwhile.
        var counted = 0
        try lock.write {
            reset()
            try store.forEachEngramContribution { id, contribution in
                do {
                    try add(contribution, sign: 1)
                    counted += 1
                } catch {
                    logger.error("a document's Engram counts are damaged and were left out; reprocess it",
                                 metadata: ["document": "\(id)", "error": "\(error)"])
                }
            }
            commit(generation: wanted)
        }
        logger.notice("corpus memory rebuilt", metadata: ["documents": "\(counted)"])
        return counted
    }
}

/// A pthread read-write lock: asks read the memory together, updates alone.
final class ReadWriteLock: @unchecked Sendable {
    private let handle = UnsafeMutablePointer<pthread_rwlock_t>.allocate(capacity: 1)

    init() { pthread_rwlock_init(handle, nil) }

    deinit {
        pthread_rwlock_destroy(handle)
        handle.deallocate()
    }

    func read<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        pthread_rwlock_rdlock(handle)
        defer { pthread_rwlock_unlock(handle) }
        return try body()
    }

    func write<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        pthread_rwlock_wrlock(handle)
        defer { pthread_rwlock_unlock(handle) }
        return try body()
    }
}
