import Foundation
import Glibc
import Testing
import TomeTestSupport

/// The corpus memory under a real SIGKILL of the daemon at each moment of a
/// step (`TOME_TEST_MEMORY` picks the moment): it catches up at the next
/// start without a rebuild, or resumes the rebuild it was in, and ends with
/// exactly the counters of a daemon that was never killed.
@Suite(.serialized) struct MemoryCrashTests {
    static func text(_ n: Int) -> String {
        (0..<60).map { "Harbour log \(n), line \($0): the pilot boat P-\(n * 1000 + $0) met the tanker at buoy \($0 % 9)." }.joined(separator: " ")
    }

    /// The counters of `daemon`'s memory file (past the two header slots), read after it stopped.
    static func counters(_ daemon: DaemonFixture) -> [UInt8] {
        Array(daemon.scratch.read("state/engram.mem").dropFirst(4096))
    }

    /// A daemon that took documents `0..<count` and was never killed.
    static func cleanCounters(_ count: Int) throws -> [UInt8] {
        let daemon = DaemonFixture()
        try daemon.start()
        for n in 0..<count { daemon.scratch.write("spool/log\(n).txt", text(n)) }
        try daemon.waitForSettled(count: count)
        try daemon.stop()
        return counters(daemon)
    }

    /// The log since `mark` (a length of it taken earlier).
    static func log(_ daemon: DaemonFixture, since mark: Int) -> String { String(daemon.log.dropFirst(mark)) }

    /// Drops document `n` into a daemon started with `moment`, which must die of SIGKILL there.
    static func killAt(_ moment: String, dropping n: Int, into daemon: DaemonFixture) throws {
        try daemon.launch(environment: ["TOME_TEST_MEMORY": moment])
        try waitUntil(timeout: 30, "tomed answering") { (try? daemon.get("/v1/health").status) == 200 }
        daemon.scratch.write("spool/log\(n).txt", text(n))
        let exit = try daemon.waitForExit()
        #expect(exit.reason == .uncaughtSignal && exit.status == SIGKILL, "tomed was to die of SIGKILL at \(moment)")
    }

    /// Killed after the counters changed and before the header: the journal
    /// puts them back and the committed document is applied again.
    @Test func aKillMidUpdateIsAppliedAgainWithoutARebuild() throws {
        let daemon = DaemonFixture()
        try daemon.start()
        daemon.scratch.write("spool/log0.txt", Self.text(0))
        try daemon.waitForSettled(count: 1)
        try daemon.stop()
        try Self.killAt("kill-mid-update", dropping: 1, into: daemon)
        let mark = daemon.log.count
        try daemon.start()
        try daemon.waitForSettled(count: 2)
        try daemon.waitForMemoryReady()
        let log = Self.log(daemon, since: mark)
        #expect(log.contains("the corpus memory's interrupted update was applied again"))
        #expect(!log.contains("rebuilding the corpus memory"))
        let estimate = try daemon.get("/v1/engram?q=pilot+boat").json
        #expect(estimate["documents"] as? Int == 2)
        #expect(estimate["corpus_documents"] as? Int == 2)
        try daemon.stop()
        #expect(Self.counters(daemon) == (try Self.cleanCounters(2)))
    }

    /// Killed after the journal, before the store's COMMIT: nothing was
    /// stored, the job comes back, and the memory counts the document once.
    @Test func aKillBeforeTheCommitLeavesTheMemoryToTheRetriedJob() throws {
        let daemon = DaemonFixture()
        try Self.killAt("kill-after-journal", dropping: 0, into: daemon)
        let mark = daemon.log.count
        try daemon.start()
        let documents = try daemon.waitForSettled(count: 1)
        try daemon.waitForMemoryReady()
        // The kill came while the daemon stored it: a crash is counted, the attempt given back.
        #expect(documents.first?["status"] as? String == "done")
        #expect(documents.first?["attempts"] as? Int == 1)
        let log = Self.log(daemon, since: mark)
        #expect(log.contains("the corpus memory's interrupted step was undone"))
        #expect(!log.contains("rebuilding the corpus memory"))
        try daemon.stop()
        #expect(Self.counters(daemon) == (try Self.cleanCounters(1)))
    }

    /// A rebuild (here of damaged counters) killed in its first step: the
    /// next start puts the step back and resumes it.
    @Test func aKillMidRebuildResumesTheRebuild() throws {
        let daemon = DaemonFixture()
        try daemon.start()
        for n in 0..<3 { daemon.scratch.write("spool/log\(n).txt", Self.text(n)) }
        try daemon.waitForSettled(count: 3)
        try daemon.stop()
        let file = try FileHandle(forUpdating: URL(fileURLWithPath: daemon.state + "/engram.mem"))
        try file.seek(toOffset: 8 << 20)
        file.write(Data(repeating: 0xFF, count: 4 << 20))
        try file.close()
        try daemon.launch(environment: ["TOME_TEST_MEMORY": "kill-mid-rebuild"])
        let exit = try daemon.waitForExit()
        #expect(exit.reason == .uncaughtSignal && exit.status == SIGKILL)
        #expect(daemon.log.contains("the corpus memory's counters do not match their checksums"))
        try daemon.start()
        try daemon.waitForMemoryReady()
        #expect(daemon.log.contains("the corpus memory's interrupted step was undone"))
        #expect(daemon.log.contains("resuming the corpus memory's rebuild"))
        try daemon.stop()
        #expect(Self.counters(daemon) == (try Self.cleanCounters(3)))
    }

    /// While the memory is rebuilt the API answers: health at once, status
    /// with the rebuild's progress, ask and engram 503 `rebuilding`.
    @Test func theAPIAnswersDuringARebuild() throws {
        let daemon = DaemonFixture()
        try daemon.start()
        daemon.scratch.write("spool/log0.txt", Self.text(0))
        try daemon.waitForSettled(count: 1)
        try daemon.stop()
        try FileManager.default.removeItem(atPath: daemon.state + "/engram.mem")
        try daemon.start(environment: ["TOME_TEST_MEMORY": "slow-rebuild"])
        let memory = try daemon.get("/v1/status").json["memory"] as? [String: Any]
        #expect(memory?["state"] as? String == "rebuilding", "\(String(describing: memory))")
        let started = Date()
        #expect(try daemon.get("/v1/health").status == 200)
        #expect(Date().timeIntervalSince(started) < 1)
        let ask = try daemon.request("POST", "/v1/ask", body: Array(#"{"question": "Which pilot boat met the tanker?"}"#.utf8))
        #expect(ask.status == 503, "\(ask.text)")
        #expect((ask.json["error"] as? [String: Any])?["code"] as? String == "rebuilding")
        #expect(try daemon.get("/v1/engram?q=pilot").status == 503)
        try daemon.waitForMemoryReady()
        #expect(try daemon.request("POST", "/v1/ask", body: Array(#"{"question": "Which pilot boat met the tanker?"}"#.utf8)).status == 200)
    }
}
