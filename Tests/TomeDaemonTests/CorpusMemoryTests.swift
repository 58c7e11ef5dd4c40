import Foundation
import Logging
import Testing
import TomeEngine
import TomeExtract
import TomeStore
import TomeTestSupport

@testable import TomeDaemon

/// The corpus memory's file on a real store: steps journalled and undone,
/// damage found by the region sums, a rebuild resumed. (A real SIGKILL at
/// each moment of a step is in tomedTests/MemoryCrashTests.)
@Suite struct CorpusMemoryTests {
    let scratch = Scratch()
    let logger = Logger(label: "test")
    struct Injected: Error {}

    func text(_ n: Int) -> String {
        (0..<40).map { "Ledger \(n) entry \($0): the harbour master logged vessel V-\(n * 100 + $0) at berth \($0 % 7)." }.joined(separator: " ")
    }

    /// Enqueues and claims a document; returns its ids.
    func claim(_ n: Int, in store: Store) throws -> (document: Int64, job: Int64) {
        guard case let .queued(id, job) = try store.enqueue(sha256: "sha\(n)", name: "d\(n).txt", pipeline: "default", bytes: 1,
                                                            sourcePath: "/s/d\(n)", now: Date()) else { throw Injected() }
        _ = try store.claimNextJob(lifecycle: JobLifecycle(retries: 1, backoffSeconds: 10), now: Date())
        return (id, job)
    }

    @discardableResult
    func complete(_ n: Int, in store: Store, memory: CorpusMemory, failAfterJournal: Bool = false) throws -> Int64 {
        let (id, job) = try claim(n, in: store)
        let body = text(n)
        let document = ExtractedDocument(type: .text, text: body, pages: [PageSpan(number: 1, start: 0, end: body.utf8.count)],
                                         metadata: DocumentMetadata(), outline: [])
        let analysis = try DocumentAnalyzer(workers: 2).analyze(body)
        try memory.follow({ beforeCommit in
            try store.complete(jobID: job, documentID: id, document: document, analysis: analysis, lifecycle: JobLifecycle(retries: 1, backoffSeconds: 10), now: Date()) { change in
                try beforeCommit(change)
                if failAfterJournal { throw Injected() }
            }
        }, logger: logger)
        return id
    }

    func counters(_ memory: CorpusMemory) throws -> [UInt32] {
        try memory.read { Array($0.counters) }
    }

    /// Stores `count` documents through this test's memory file, closes it, and returns its counters.
    func countersAfterStoring(_ count: Int, in store: Store) throws -> [UInt32] {
        let memory = try CorpusMemory(path: scratch.file("engram.mem"))
        try memory.reconcile(with: store, logger: logger)
        for n in 0..<count { try complete(n, in: store, memory: memory) }
        return try counters(memory)
    }

    /// Writes each `(offset, bytes)` into the file at `path`, as damage would.
    func overwrite(_ path: String, _ patches: [(UInt64, Data)]) throws {
        let file = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        for (offset, bytes) in patches {
            try file.seek(toOffset: offset)
            file.write(bytes)
        }
        try file.close()
    }

    /// The counters and figures of a memory that took `documents` one by one, with no mishap.
    func clean(_ documents: Range<Int>) throws -> (counters: [UInt32], documents: UInt64) {
        let other = Scratch()
        let store = try Store(path: other.file("tome.sqlite"))
        let memory = try CorpusMemory(path: other.file("engram.mem"))
        try memory.reconcile(with: store, logger: logger)
        for n in documents { try complete(n, in: store, memory: memory) }
        return (try counters(memory), memory.documents)
    }

    @Test func everyStepKeepsTheRegionSumsAndReopensWithoutARebuild() throws {
        let store = try Store(path: scratch.file("tome.sqlite"))
        do {
            let memory = try CorpusMemory(path: scratch.file("engram.mem"))
            #expect(memory.recover(storeGeneration: try store.engramGeneration(), logger: logger))  // a new file: rebuilt (empty)
            try memory.rebuild(from: store, logger: logger)
            let ids = try (0..<3).map { try complete($0, in: store, memory: memory) }
            try memory.follow({ try store.delete(documentID: ids[2], beforeCommit: $0) }, logger: logger)
        }
        let reopened = try CorpusMemory(path: scratch.file("engram.mem"))
        #expect(!reopened.recover(storeGeneration: try store.engramGeneration(), logger: logger))
        #expect(reopened.state == .ready)
        let expected = try clean(0..<2)
        #expect(try counters(reopened) == expected.counters)
        #expect(reopened.documents == 2)
    }

    /// The journal is written inside the store transaction: when the commit
    /// does not happen, the memory is unchanged and recovery applies nothing.
    @Test func aStepWhoseCommitRolledBackLeavesTheMemoryAsItWas() throws {
        let store = try Store(path: scratch.file("tome.sqlite"))
        let memory = try CorpusMemory(path: scratch.file("engram.mem"))
        try memory.reconcile(with: store, logger: logger)
        try complete(0, in: store, memory: memory)
        let before = try counters(memory)
        #expect(throws: Injected.self) { try complete(1, in: store, memory: memory, failAfterJournal: true) }
        #expect(MemoryJournal.read(from: memory.journalPath)?.redo?.generation == (try store.engramGeneration()) + 1)
        #expect(try counters(memory) == before)
        let reopened = try CorpusMemory(path: scratch.file("engram.mem"))
        #expect(!reopened.recover(storeGeneration: try store.engramGeneration(), logger: logger))
        #expect(try counters(reopened) == before)
    }

    /// What a kill between the counters and the header leaves (the counters
    /// changed, the header and the store say otherwise) is undone from the journal.
    @Test func countersChangedBehindTheHeaderArePutBackFromTheJournal() throws {
        let store = try Store(path: scratch.file("tome.sqlite"))
        let memory = try CorpusMemory(path: scratch.file("engram.mem"))
        try memory.reconcile(with: store, logger: logger)
        try complete(0, in: store, memory: memory)
        let before = try counters(memory)
        #expect(throws: Injected.self) { try complete(1, in: store, memory: memory, failAfterJournal: true) }
        let journal = try #require(MemoryJournal.read(from: memory.journalPath))
        // Scribble over every counter the step would have touched, as a half-done step would.
        try overwrite(memory.path, journal.touched.prefix(journal.touched.count / 2).map {
            (UInt64(CorpusMemory.headerBytes) + UInt64($0) * 4, Data([0x7F, 0, 0, 0]))
        })
        let reopened = try CorpusMemory(path: scratch.file("engram.mem"))
        #expect(!reopened.recover(storeGeneration: try store.engramGeneration(), logger: logger))
        #expect(try counters(reopened) == before)
    }

    /// 4 MB of 0xFF over the counters (the header intact) fails the region
    /// sums at start; the rebuild gives back exactly what was there.
    @Test func damagedCountersAreFoundAndRebuilt() throws {
        let store = try Store(path: scratch.file("tome.sqlite"))
        let expected = try countersAfterStoring(3, in: store)
        try overwrite(scratch.file("engram.mem"), [(8 << 20, Data(repeating: 0xFF, count: 4 << 20))])
        let reopened = try CorpusMemory(path: scratch.file("engram.mem"))
        #expect(reopened.recover(storeGeneration: try store.engramGeneration(), logger: logger))
        #expect(throws: CorpusMemory.Unavailable.self) { try reopened.read { _ in 0 } }
        #expect(try reopened.rebuild(from: store, logger: logger) == 3)
        #expect(try counters(reopened) == expected)
    }

    /// A damaged header slot falls back to the other one, whose counters no
    /// longer match it: rebuilt, never read as it is.
    @Test func aDamagedHeaderIsRebuilt() throws {
        let store = try Store(path: scratch.file("tome.sqlite"))
        let expected = try countersAfterStoring(2, in: store)
        try overwrite(scratch.file("engram.mem"), [(100, Data([0xAB])), (UInt64(MemoryHeader.slotSize) + 100, Data([0xAB]))])
        let reopened = try CorpusMemory(path: scratch.file("engram.mem"))
        #expect(reopened.recover(storeGeneration: try store.engramGeneration(), logger: logger))
        try reopened.rebuild(from: store, logger: logger)
        #expect(try counters(reopened) == expected)
    }

    /// A rebuild stopped after its first step resumes after the last
    /// document it counted, and ends where a clean one does.
    @Test func aStoppedRebuildResumesWhereItStopped() throws {
        let store = try Store(path: scratch.file("tome.sqlite"))
        do {
            let memory = try CorpusMemory(path: scratch.file("engram.mem"))
            try memory.reconcile(with: store, logger: logger)
            for n in 0..<5 { try complete(n, in: store, memory: memory) }
        }
        try FileManager.default.removeItem(atPath: scratch.file("engram.mem"))
        do {
            let memory = try CorpusMemory(path: scratch.file("engram.mem"), rebuildBatch: 2)
            #expect(memory.recover(storeGeneration: try store.engramGeneration(), logger: logger))
            var asked = 0
            #expect(try memory.rebuild(from: store, logger: logger, shouldStop: { asked += 1; return true }) == 2)
            #expect(memory.state == .rebuilding(done: 2, total: 5))
            #expect(throws: CorpusMemory.Unavailable.self) { try memory.read { _ in 0 } }
        }
        let resumed = try CorpusMemory(path: scratch.file("engram.mem"), rebuildBatch: 2)
        #expect(resumed.recover(storeGeneration: try store.engramGeneration(), logger: logger))
        #expect(try resumed.rebuild(from: store, logger: logger) == 3)
        #expect(resumed.state == .ready)
        let expected = try clean(0..<5)
        #expect(try counters(resumed) == expected.counters)
        #expect(resumed.documents == expected.documents)
    }

    @Test func aTornJournalIsIgnored() throws {
        let journal = MemoryJournal(header: [UInt8](repeating: 7, count: MemoryHeader.slotSize), touched: [1, 5, 9], before: [0, 2, 3],
                                    redo: .init(generation: 4, removing: nil, adding: nil))
        let bytes = journal.encoded()
        #expect(MemoryJournal(decoding: bytes) == journal)
        for cut in [0, 8, bytes.count / 2, bytes.count - 1] {
            #expect(MemoryJournal(decoding: Array(bytes.prefix(cut))) == nil)
        }
        var flipped = bytes
        flipped[MemoryHeader.slotSize / 2] ^= 1
        #expect(MemoryJournal(decoding: flipped) == nil)
    }
}
