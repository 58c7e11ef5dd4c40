import Foundation
import Glibc
import Logging
import ServiceLifecycle
import Synchronization
import TomeAPI
import TomeEngine
import TomeStore

/// The corpus's Engram memory: one memory-mapped file, `STATE_DIR/engram.mem`,
/// that survives a kill at any moment without a rebuild.
///
/// Layout: two header slots (`MemoryHeader`, 2 KiB each; the valid one with
/// the higher sequence is current), then the counters (`df[slots]`,
/// `cf[slots]`, UInt32). The engine reads and changes the counters in place;
/// this type owns the mapping, the locks, the header and the journal.
///
/// The file is derived data: it matches the store when its header carries
/// the store's `engram_state.generation` and no rebuild is under way. Every
/// change is one *step*:
///
/// 1. `MemoryJournal` records the current header and the value of every
///    counter the step will touch, and is synced;
/// 2. the counters change in place, and are synced;
/// 3. the new header goes to the slot not in use, and is synced.
///
/// A kill before 3 leaves the old header: the journal puts the counters
/// back. A document's step journals inside the store transaction, before
/// COMMIT, with the counts it brings: if the commit landed, they are applied
/// again at start; if not, the memory already matches. Damage (a header that
/// fails its checksum, counters that fail their region sums) and a file of
/// another layout are rebuilt from the counts stored with each document,
/// in steps of up to `rebuildBatch` documents; a rebuild cut short resumes
/// after the last document its header says it counted. Meanwhile reads throw
/// `Unavailable` (the API answers 503) and commits wait.
final class CorpusMemory: @unchecked Sendable {  // the header and counters are guarded by `lock`
    /// Whether the memory can answer.
    enum State: Equatable, Sendable {
        /// Opened; the journal and the sums are not checked yet.
        case checking
        case rebuilding(done: Int, total: Int)
        case ready
        /// A document's counts could not be applied: answers are approximate until the rebuild at the next start.
        case stale
    }

    /// Reads are refused while the memory is checked or rebuilt.
    struct Unavailable: Error, CustomStringConvertible {
        var state: State
        var description: String {
            if case let .rebuilding(done, total) = state { return "the corpus memory is being rebuilt (\(done) of \(total) documents)" }
            return "the corpus memory is being checked"
        }
    }

    /// A step prepared (journalled) inside a store transaction, applied after it commits.
    struct Update {
        var generation: Int64
        var removing: EngramContribution?
        var adding: EngramContribution?
        var touched: [UInt32]
        var before: [UInt32]
    }

    static let headerBytes = 2 * MemoryHeader.slotSize

    let hasher: NgramHasher
    let path: String
    let journalPath: String
    /// Documents per rebuild step: each step's journal holds the counters they touch.
    let rebuildBatch: Int
    private let fd: Int32
    private let base: UnsafeMutableRawPointer
    private let size: Int
    private let counterCount: Int
    private var header: MemoryHeader
    private var slot: Int
    private let lock = ReadWriteLock()
    private let stateBox = Mutex(State.checking)
    /// Held across a store commit and the matching step, and by a rebuild:
    /// the file changes in the order of the store's generations.
    let commitLock = Mutex(())

    /// Opens (or creates) the file and reads its current header; a file
    /// without a valid header of `hasher`'s layout starts empty, to be rebuilt.
    /// Its blocks are reserved first (`posix_fallocate`): a mapping of a sparse
    /// file on a full disk would die of SIGBUS at the first write, where this
    /// fails cleanly with "No space left on device".
    init(path: String, hasher: NgramHasher = NgramHasher(), rebuildBatch: Int = 64) throws {
        self.path = path
        self.rebuildBatch = max(1, rebuildBatch)
        journalPath = path + ".journal"
        self.hasher = hasher
        counterCount = EngramMemory.counterCount(hasher.layout)
        size = Self.headerBytes + counterCount * 4
        let empty = MemoryHeader(layout: hasher.layout, counterCount: counterCount)
        guard empty.encoded() != nil else { throw SystemError("the Engram layout is too large for the memory's header", EINVAL) }
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw SystemError("open \(path)", errno) }
        var info = stat()
        fstat(fd, &info)
        if Int(info.st_size) != size, ftruncate(fd, 0) != 0 {
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
        let slots = (0..<2).map { i in
            MemoryHeader(slot: Array(UnsafeRawBufferPointer(start: mapped + i * MemoryHeader.slotSize, count: MemoryHeader.slotSize)))
        }
        let counters = counterCount
        let current = slots.indices.filter { slots[$0]?.fits(hasher.layout, counterCount: counters) == true }
            .max { (slots[$0]?.sequence ?? 0) < (slots[$1]?.sequence ?? 0) }
        if let current, let found = slots[current] {
            header = found
            slot = current
        } else {
            header = empty  // generation -1: never matches a store
            slot = 1
        }
    }

    deinit {
        msync(base, size, MS_SYNC)
        munmap(base, size)
        close(fd)
    }

    var state: State { stateBox.withLock { $0 } }

    /// What `GET /v1/status` shows.
    var status: MemoryStatus {
        let documents = Int(self.documents)
        switch state {
        case .checking: return MemoryStatus(state: "checking", documents: documents)
        case let .rebuilding(done, total): return MemoryStatus(state: "rebuilding", documents: documents, done: done, total: total)
        case .ready: return MemoryStatus(state: "ready", documents: documents)
        case .stale: return MemoryStatus(state: "stale", documents: documents)
        }
    }
    var generation: Int64 { lock.read { header.generation } }
    var documents: UInt64 { lock.read { header.documents } }

    private var counters: UnsafeMutableBufferPointer<UInt32> {
        UnsafeMutableBufferPointer(start: (base + Self.headerBytes).bindMemory(to: UInt32.self, capacity: counterCount), count: counterCount)
    }

    private func view() -> EngramMemory {
        EngramMemory(hasher: hasher, counters: counters, documents: header.documents, totals: header.totals)
    }

    /// Runs `body` with the memory for reading (many readers at once); throws
    /// `Unavailable` while it is checked or rebuilt.
    func read<R>(_ body: (EngramMemory) throws -> R) throws -> R {
        let state = self.state
        guard state == .ready || state == .stale else { throw Unavailable(state: state) }
        return try lock.read { try body(view()) }
    }

    // MARK: Changes that follow the store

    /// Runs a store transaction that changes what the memory should count
    /// (`Store.complete`, `Store.delete`), handing it the hook that journals
    /// the change before COMMIT; after the commit, applies it.
    @discardableResult
    func follow<T>(_ transaction: (_ beforeCommit: (Store.EngramChange) throws -> Void) throws -> T, logger: Logger) throws -> T {
        try commitLock.withLock { _ in
            var update: Update?
            let result = try transaction { change in update = try prepare(change, logger: logger) }
            if let update { apply(update) }
            return result
        }
    }

    /// Step 1 for a document's change: the journal. Nil when there is
    /// nothing to count or the counts do not decode (the memory is then
    /// marked stale, to be rebuilt at the next start). Throws when the journal
    /// cannot be written, which rolls the store transaction back.
    private func prepare(_ change: Store.EngramChange, logger: Logger) throws -> Update? {
        guard !change.isEmpty else { return nil }
        let counts = [change.removing, change.adding].compactMap { $0 }
        do {
            for contribution in counts {
                guard contribution.slotCount == hasher.layout.slotCount, contribution.totals.count == header.totals.count else {
                    throw EngineError.damaged("Engram counts of another table layout")
                }
                try contribution.decode { _, _ in }
            }
        } catch {
            logger.error("a document's Engram counts are damaged; the corpus memory is rebuilt at the next start", metadata: ["error": "\(error)"])
            markStale()
            return nil
        }
        let touched = touchedCounters(counts)
        let (before, image) = lock.read { (touched.map { counters[Int($0)] }, currentSlotBytes()) }
        let redo = MemoryJournal.Redo(generation: change.generation, removing: change.removing, adding: change.adding)
        try MemoryJournal(header: image, touched: touched, before: before, redo: redo).write(to: journalPath)
        Self.testPoint("kill-after-journal")
        return Update(generation: change.generation, removing: change.removing, adding: change.adding, touched: touched, before: before)
    }

    /// Steps 2 and 3. A file that was not at the generation before this one,
    /// or is mid-rebuild, is marked stale (-1): the rebuild starts over.
    private func apply(_ update: Update) {
        lock.write {
            var memory = view()
            // `prepare` decoded both: these cannot throw.
            if let old = update.removing { try? memory.apply(old, sign: -1) }
            if let new = update.adding { try? memory.apply(new, sign: 1) }
            Self.testPoint("kill-mid-update")
            var next = header
            next.documents = memory.documents
            next.totals = memory.totals
            let follows = header.generation == update.generation - 1 && header.rebuiltThrough < 0
            next.generation = follows ? update.generation : -1
            updateSums(&next, touched: update.touched, before: update.before)
            msync(base + Self.headerBytes, size - Self.headerBytes, MS_SYNC)
            writeHeader(next)
        }
    }

    /// The memory no longer follows the store: generation -1.
    private func markStale() {
        lock.write {
            var next = header
            next.generation = -1
            writeHeader(next)
        }
        stateBox.withLock { $0 = .stale }
    }

    // MARK: Start: recovery, check, rebuild

    /// Makes the file match the store: `recover`, then `rebuild` when needed.
    @discardableResult
    func reconcile(with store: Store, logger: Logger, shouldStop: () -> Bool = { false }) throws -> Int {
        guard recover(storeGeneration: try store.engramGeneration(), logger: logger) else { return 0 }
        return try rebuild(from: store, logger: logger, shouldStop: shouldStop)
    }

    /// At start, quickly: undoes a step a kill cut short (and applies again
    /// a document's change that the store committed), then checks the
    /// header and every region sum. True when a rebuild is needed (the state
    /// is then `rebuilding`); otherwise the memory is ready.
    func recover(storeGeneration wanted: Int64, logger: Logger) -> Bool {
        commitLock.withLock { _ in
            recoverInterruptedStep(storeGeneration: wanted, logger: logger)
            if let damaged = damagedRegions() {
                logger.error("the corpus memory's counters do not match their checksums; rebuilding it",
                             metadata: ["regions": "\(damaged.map(String.init).joined(separator: ","))"])
                resetHeader(target: wanted)
            }
            let ready = header.generation == wanted && header.rebuiltThrough < 0
            stateBox.withLock { $0 = ready ? .ready : .rebuilding(done: 0, total: 0) }
            return !ready
        }
    }

    /// Rebuilds the counters from the counts stored with each document, or
    /// resumes the rebuild the header says was under way toward the store's
    /// generation. Returns the documents counted. `shouldStop` is asked
    /// between steps; a stopped rebuild resumes at the next start.
    @discardableResult
    func rebuild(from store: Store, logger: Logger, shouldStop: () -> Bool = { false }) throws -> Int {
        try commitLock.withLock { _ in
            let wanted = try store.engramGeneration()
            if header.generation == wanted && header.rebuiltThrough < 0 {
                stateBox.withLock { $0 = .ready }
                return 0
            }
            // A new state dir has nothing to count: the file is only initialised, without a word.
            let quiet = try header.generation != wanted && store.engramContributionCount() == 0
            if header.generation == wanted {
                logger.notice("resuming the corpus memory's rebuild", metadata: ["after_document": "\(header.rebuiltThrough)"])
            } else {
                if !quiet {
                    logger.notice("rebuilding the corpus memory", metadata: ["file_generation": "\(header.generation)", "store_generation": "\(wanted)"])
                }
                resetHeader(target: wanted)
            }
            let (counted, finished) = try addStoredCounts(from: store, logger: logger, shouldStop: shouldStop)
            guard finished else {
                logger.notice("the corpus memory's rebuild stopped; it resumes at the next start", metadata: ["documents": "\(counted)"])
                return counted
            }
            lock.write {
                var next = header
                next.rebuiltThrough = -1
                writeHeader(next)
            }
            stateBox.withLock { $0 = .ready }
            if !quiet { logger.notice("corpus memory rebuilt", metadata: ["documents": "\(counted)"]) }
            return counted
        }
    }

    /// Puts back the counters of a step a kill cut short (its journal names
    /// the header the file still carries), then applies a document's change
    /// again when its store transaction committed.
    private func recoverInterruptedStep(storeGeneration: Int64, logger: Logger) {
        guard let journal = MemoryJournal.read(from: journalPath), journal.header == currentSlotBytes() else { return }
        lock.write {
            for (i, value) in zip(journal.touched, journal.before) where Int(i) < counterCount { counters[Int(i)] = value }
            msync(base + Self.headerBytes, size - Self.headerBytes, MS_SYNC)
        }
        guard let redo = journal.redo, redo.generation == storeGeneration, header.generation == storeGeneration - 1 else {
            logger.notice("the corpus memory's interrupted step was undone", metadata: ["counters": "\(journal.touched.count)"])
            return
        }
        apply(Update(generation: redo.generation, removing: redo.removing, adding: redo.adding, touched: journal.touched, before: journal.before))
        logger.notice("the corpus memory's interrupted update was applied again", metadata: ["generation": "\(redo.generation)"])
    }

    /// Regions whose counters do not add up to their sum; nil when all do.
    private func damagedRegions() -> [Int]? {
        lock.read {
            let sums = Self.regionSums(counters)
            let damaged = sums.indices.filter { sums[$0] != header.regionSums[$0] }
            return damaged.isEmpty ? nil : damaged
        }
    }

    /// Zero counters and a header for a rebuild toward `target`, through no document yet.
    private func resetHeader(target: Int64) {
        lock.write {
            memset(base + Self.headerBytes, 0, size - Self.headerBytes)
            msync(base + Self.headerBytes, size - Self.headerBytes, MS_SYNC)
            var next = MemoryHeader(layout: hasher.layout, counterCount: counterCount)
            next.generation = target
            next.rebuiltThrough = 0
            next.epoch = UInt64.random(in: 1...UInt64.max)
            writeHeader(next)
        }
    }

    /// Adds the stored counts of every document after `rebuiltThrough`, in
    /// journalled steps of up to `rebuildBatch` documents.
    private func addStoredCounts(from store: Store, logger: Logger, shouldStop: () -> Bool) throws -> (counted: Int, finished: Bool) {
        var counted = 0
        let total = try store.engramContributionCount(after: header.rebuiltThrough)
        stateBox.withLock { $0 = .rebuilding(done: 0, total: total) }
        var batch: [(Int64, EngramContribution)] = []
        var stopped = false
        func step() throws {
            guard let last = batch.last?.0 else { return }
            let touched = touchedCounters(batch.map(\.1))
            let (before, image) = lock.read { (touched.map { counters[Int($0)] }, currentSlotBytes()) }
            try MemoryJournal(header: image, touched: touched, before: before, redo: nil).write(to: journalPath)
            lock.write {
                var memory = view()
                for (id, contribution) in batch {
                    do {
                        try memory.apply(contribution, sign: 1)
                    } catch {
                        logger.error("a document's Engram counts are damaged and were left out; reprocess it",
                                     metadata: ["document": "\(id)", "error": "\(error)"])
                    }
                }
                Self.testPoint("kill-mid-rebuild")
                var next = header
                next.documents = memory.documents
                next.totals = memory.totals
                next.rebuiltThrough = last
                updateSums(&next, touched: touched, before: before)
                msync(base + Self.headerBytes, size - Self.headerBytes, MS_SYNC)
                writeHeader(next)
            }
            counted += batch.count
            batch.removeAll(keepingCapacity: true)
            stateBox.withLock { $0 = .rebuilding(done: counted, total: total) }
            Self.testPoint("slow-rebuild")
        }
        do {
            try store.forEachEngramContribution(after: header.rebuiltThrough) { id, contribution in
                batch.append((id, contribution))
                if batch.count == rebuildBatch {
                    try step()
                    if shouldStop() { stopped = true; throw CancellationError() }
                }
            }
            try step()
        } catch is CancellationError where stopped {}
        return (counted, !stopped)
    }

    // MARK: The file's parts

    /// Moments the tests choose with `TOME_TEST_MEMORY`: a real SIGKILL of
    /// the daemon in the middle of a step, or a slow rebuild to watch.
    /// Compiled into debug builds (the ones the tests run) only.
    #if DEBUG
    private static let testHook = ProcessInfo.processInfo.environment["TOME_TEST_MEMORY"] ?? ""
    #endif

    private static func testPoint(_ name: String) {
        #if DEBUG
        guard testHook == name else { return }
        if name == "slow-rebuild" {
            Thread.sleep(forTimeInterval: 2)
        } else {
            kill(getpid(), SIGKILL)
        }
        #endif
    }

    /// The counters `counts` touch (df and cf of each slot), ascending.
    private func touchedCounters(_ counts: [EngramContribution]) -> [UInt32] {
        let slots = hasher.layout.slotCount
        var bits = [UInt64](repeating: 0, count: (slots + 63) / 64)
        for contribution in counts {
            try? contribution.decode { i, _ in bits[i >> 6] |= 1 << UInt64(i & 63) }
        }
        var touched: [UInt32] = []
        for (w, word) in bits.enumerated() where word != 0 {
            var rest = word
            while rest != 0 {
                touched.append(UInt32(w << 6 + rest.trailingZeroBitCount))
                rest &= rest - 1
            }
        }
        return touched + touched.map { $0 + UInt32(slots) }  // df then cf: still ascending
    }

    /// The region sums of `next`, moved by the touched counters' change from `before` to now.
    private func updateSums(_ next: inout MemoryHeader, touched: [UInt32], before: [UInt32]) {
        let counters = self.counters
        for (i, old) in zip(touched, before) {
            let index = Int(i)
            let r = index / MemoryHeader.regionCounters
            next.regionSums[r] = next.regionSums[r] &- Checksum.counter(index, old) &+ Checksum.counter(index, counters[index])
        }
    }

    /// Region sums computed from the counters (the check at start, and tests).
    static func regionSums(_ counters: UnsafeMutableBufferPointer<UInt32>) -> [UInt64] {
        var sums = [UInt64](repeating: 0, count: (counters.count + MemoryHeader.regionCounters - 1) / MemoryHeader.regionCounters)
        for i in 0..<counters.count where counters[i] != 0 {
            sums[i / MemoryHeader.regionCounters] &+= Checksum.counter(i, counters[i])
        }
        return sums
    }

    private func currentSlotBytes() -> [UInt8] {
        Array(UnsafeRawBufferPointer(start: base + slot * MemoryHeader.slotSize, count: MemoryHeader.slotSize))
    }

    /// Step 3: `next` into the slot not in use, synced; it becomes current.
    /// The caller holds the write lock.
    private func writeHeader(_ next: MemoryHeader) {
        var next = next
        next.sequence = header.sequence + 1
        guard let bytes = next.encoded() else { return }  // init checked that the layout fits
        let target = 1 - slot
        bytes.withUnsafeBytes { UnsafeMutableRawBufferPointer(start: base + target * MemoryHeader.slotSize, count: MemoryHeader.slotSize).copyMemory(from: $0) }
        msync(base, Self.headerBytes, MS_SYNC)
        header = next
        slot = target
    }
}
