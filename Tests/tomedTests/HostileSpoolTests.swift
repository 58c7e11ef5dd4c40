import Foundation
import Glibc
import GRDB
import Testing
import TomeTestSupport

/// What a user who may write into the spool could do to make the daemon
/// touch files elsewhere or store what it did not read — each reproduction
/// of the second hostile run, which broke the daemon before files were
/// claimed (`ClaimFolder`) and children spawned with only their own
/// descriptors.
@Suite(.serialized) struct HostileSpoolTests {
    /// Lines enough to keep a debug build's child busy for seconds.
    static func longText(_ marker: String) -> String {
        (0..<60_000).map { "\(marker) line \($0) of the harbour ledger with some words." }.joined(separator: "\n")
    }

    /// Waits until some document is being processed.
    static func waitForProcessing(_ daemon: DaemonFixture) throws {
        try waitUntil(timeout: 60, "a document in processing") {
            try daemon.documents().contains { $0["status"] as? String == "processing" }
        }
    }

    /// A file renamed into `spool/race/`; while it is processed, `spool/race`
    /// is renamed away and replaced by a link to a folder outside the spool
    /// holding a file of the same name. After the commit the daemon archives
    /// or deletes the file it claimed, never the one outside, and a DELETE
    /// of the document does not reach it either.
    @Test(arguments: ["archive", "delete"])
    func aFolderSwappedForALinkMovesAndDeletesNothingOutside(onSuccess: String) throws {
        let daemon = DaemonFixture(jobs: "workers = 1", spoolSection: "on_success = \"\(onSuccess)\"")
        try daemon.start()
        let outside = daemon.scratch.file("outside")
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        daemon.scratch.write("outside/r.txt", "VICTIM\n")
        try FileManager.default.createDirectory(atPath: daemon.spool + "/race", withIntermediateDirectories: true)
        let original = Self.longText("race")
        daemon.scratch.write("spool/race/.r.part", original)
        #expect(rename(daemon.spool + "/race/.r.part", daemon.spool + "/race/r.txt") == 0)
        try Self.waitForProcessing(daemon)
        #expect(rename(daemon.spool + "/race", daemon.spool + "/race_real") == 0)
        #expect(symlink(outside, daemon.spool + "/race") == 0)
        let documents = try daemon.waitForSettled(count: 1, timeout: 180)
        #expect(documents.first?["status"] as? String == "done", "\(documents)")
        try waitUntil(timeout: 30, "the claimed file disposed of") {
            (try? FileManager.default.contentsOfDirectory(atPath: daemon.state + "/claimed"))?.isEmpty == true
        }
        #expect(String(decoding: daemon.scratch.read("outside/r.txt"), as: UTF8.self) == "VICTIM\n")
        if onSuccess == "archive" {
            #expect(daemon.scratch.read("state/archive/race/r.txt").count == original.utf8.count)
        }
        let id = try #require(documents.first?["id"] as? Int)
        #expect(try daemon.request("DELETE", "/v1/documents/\(id)").status == 204)
        #expect(String(decoding: daemon.scratch.read("outside/r.txt"), as: UTF8.self) == "VICTIM\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside) == ["r.txt"])
    }

    /// A file appended to by name after it was renamed in: the daemon
    /// claimed it at the rename, so what it stores is what it claimed, and
    /// the later write is a file of its own. Each document keeps its own
    /// archived file: deleting one leaves the other's (they used to share
    /// one, and the delete took it).
    @Test func aFileWrittenAfterItsRenameInIsAFileOfItsOwn() throws {
        let daemon = DaemonFixture()
        try daemon.start()
        let original = Self.longText("appended")
        daemon.scratch.write("spool/.a.part", original)
        #expect(rename(daemon.spool + "/.a.part", daemon.spool + "/a.txt") == 0)
        usleep(500_000)
        // `echo x >> a.txt`: the name is opened again.
        let fd = open(daemon.spool + "/a.txt", O_WRONLY | O_APPEND | O_CREAT, 0o644)
        try #require(fd >= 0)
        #expect(write(fd, "x\n", 2) == 2)
        close(fd)
        let documents = try daemon.waitForSettled(count: 2, timeout: 120)
        let big = try #require(documents.first { ($0["bytes"] as? Int) == original.utf8.count }, "\(documents)")
        let small = try #require(documents.first { ($0["id"] as? Int) != (big["id"] as? Int) })
        #expect(big["status"] as? String == "done")
        try waitUntil(timeout: 10, "both archived") {
            (try? FileManager.default.contentsOfDirectory(atPath: daemon.state + "/archive").count) == 2
        }
        #expect(try daemon.request("DELETE", "/v1/documents/\(big["id"] as? Int ?? 0)").status == 204)
        let left = try FileManager.default.contentsOfDirectory(atPath: daemon.state + "/archive")
        #expect(left.count == 1, "\(left)")
        let kept = daemon.scratch.read("state/archive/" + (left.first ?? ""))
        #expect(kept.count == small["bytes"] as? Int)
        #expect(try daemon.get("/v1/documents/\(small["id"] as? Int ?? 0)").json["status"] as? String == "done")
    }

    /// A writer that keeps the file open after renaming it in and writes
    /// on: the bytes the child reads are not those claimed and hashed, and
    /// the document fails as `changed` rather than being stored under a hash
    /// that is not its content (or, if the write came first, is stored as written).
    @Test func aFileChangedThroughAnOpenDescriptorIsNotStoredUnderTheWrongHash() throws {
        let daemon = DaemonFixture(jobs: "workers = 1")
        try daemon.start()
        let fd = open(daemon.spool + "/.held.part", O_WRONLY | O_CREAT | O_EXCL, 0o644)
        try #require(fd >= 0)
        let original = Array(Self.longText("held").utf8)
        _ = original.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        #expect(rename(daemon.spool + "/.held.part", daemon.spool + "/held.txt") == 0)
        try waitUntil(timeout: 30, "the file claimed") { !FileManager.default.fileExists(atPath: daemon.spool + "/held.txt") }
        let more = Array("\nWritten after the rename through the open descriptor.\n".utf8)
        _ = more.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        let document = try #require(try daemon.waitForSettled(count: 1, timeout: 120).first)
        if document["status"] as? String == "failed" {
            #expect((document["error"] as? [String: Any])?["code"] as? String == "changed", "\(document)")
        } else {
            // Stored as claimed: the text is that of the bytes hashed, the write in it only if it came before the hash.
            let text = try daemon.get("/v1/documents/\(document["id"] as? Int ?? 0)/text").text
            let bytes = document["bytes"] as? Int
            #expect(bytes == original.count || bytes == original.count + more.count, "\(document)")
            #expect(text.contains("Written after the rename") == (bytes == original.count + more.count), "the text is that of the bytes hashed")
        }
    }

    /// The extraction child holds no descriptor of the daemon's (its socket,
    /// epoll, event and timer descriptors), and dies with it: after a
    /// `kill -9` of the daemon the socket is free at once, and a restart is
    /// not refused while an orphaned child runs.
    @Test func childrenHoldNoDescriptorOfTheDaemonAndDieWithIt() throws {
        let daemon = DaemonFixture(jobs: "workers = 1")
        try daemon.start()
        daemon.scratch.write("spool/big.pdf", DaemonEndToEndTests.slowPDF(in: daemon.scratch))
        let child = try daemon.waitForChild()
        let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(child)/fd")) ?? []
        let targets = descriptors.compactMap(Int.init).filter { $0 > 2 }.map { fd in
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(child)/fd/\(fd)")) ?? "?"
        }
        #expect(!targets.contains { $0.hasPrefix("socket:") }, "the child holds a socket: \(targets)")
        let daemonSockets = Set(((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(daemon.pid)/fd")) ?? []).compactMap { fd in
            try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(daemon.pid)/fd/\(fd)")
        }.filter { $0.hasPrefix("socket:") })
        #expect(!daemonSockets.isEmpty)
        #expect(daemonSockets.isDisjoint(with: targets))

        kill(daemon.pid, SIGKILL)
        _ = try? daemon.waitForExit(timeout: 10)
        try waitUntil(timeout: 5, "the orphaned child gone") { kill(child, 0) != 0 || Self.isZombie(child) }
        let restarted = Date()
        try daemon.start()
        #expect(Date().timeIntervalSince(restarted) < 15)
        let documents = try daemon.waitForSettled(count: 1, timeout: 120)
        #expect(documents.first?["status"] as? String == "done", "\(documents)")
    }

    /// A job recorded by a version that did not claim files names its file
    /// in the spool: at start the file is claimed, the job pointed at it, and
    /// the document is processed and archived as any other.
    @Test func aJobRecordedBeforeClaimsIsAdoptedAtStart() throws {
        let daemon = DaemonFixture()
        try daemon.start()
        try daemon.stop()
        let text = "The harbour ledger of an earlier version names the pilot Idris Maalouf.\n"
        let bytes = Array(text.utf8)
        try FileManager.default.createDirectory(atPath: daemon.spool + "/old", withIntermediateDirectories: true)
        let path = daemon.scratch.write("spool/old/ledger.txt", bytes)
        let sha = try runProcess("/usr/bin/sha256sum", [path]).stdout.split(separator: 0x20).first.map { String(decoding: $0, as: UTF8.self) } ?? ""
        let queue = try DatabaseQueue(path: daemon.state + "/tome.sqlite")
        try queue.write { db in
            try db.execute(sql: """
                INSERT INTO documents (sha256, name, pipeline, status, bytes, created_at, updated_at) VALUES (?, 'old/ledger.txt', 'default', 'queued', ?, 0, 0)
                """, arguments: [sha, bytes.count])
            try db.execute(sql: """
                INSERT INTO jobs (document_id, source_path, sha256, status, next_attempt_at, created_at) VALUES (?, ?, ?, 'queued', 0, 0)
                """, arguments: [db.lastInsertedRowID, path, sha])
        }
        try queue.close()
        try daemon.start()
        let documents = try daemon.waitForSettled(count: 1)
        #expect(documents.first?["status"] as? String == "done", "\(documents) \(daemon.log)")
        try waitUntil(timeout: 10, "archived") { FileManager.default.fileExists(atPath: daemon.state + "/archive/old/ledger.txt") }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    static func isZombie(_ pid: Int32) -> Bool {
        let stat = FileManager.default.contents(atPath: "/proc/\(pid)/stat").map { String(decoding: $0, as: UTF8.self) } ?? ""
        guard let close = stat.lastIndex(of: ")") else { return true }
        return stat[stat.index(after: close)...].split(separator: " ").first == "Z"
    }

    /// A hard link into the spool is left alone, with a log line, at the
    /// next scan (it used to wait for a close that never came until a
    /// restart, then be taken — a file readable by its writer only became
    /// readable by every reader of the API). The file and its link stay.
    @Test func aHardLinkIsLeftAloneWithALogLine() throws {
        let daemon = DaemonFixture()
        try daemon.start()
        daemon.scratch.write("private.txt", "The writer's private notes name the pilot Idris Maalouf.\n")
        chmod(daemon.scratch.file("private.txt"), 0o600)
        #expect(link(daemon.scratch.file("private.txt"), daemon.spool + "/x.txt") == 0)
        daemon.scratch.write("spool/plain.txt", "A plain file dropped beside it.\n")
        _ = try daemon.waitForSettled(count: 1)
        try waitUntil(timeout: 10, "the hard link named in the log") {
            daemon.log.contains("left alone") && daemon.log.contains("hard links")
        }
        usleep(1_200_000)  // more scans: still one document, one log line
        #expect(try daemon.documents().map { $0["name"] as? String } == ["plain.txt"])
        #expect(daemon.log.components(separatedBy: "hard links").count == 2)
        #expect(FileManager.default.fileExists(atPath: daemon.spool + "/x.txt"))
        #expect(FileManager.default.fileExists(atPath: daemon.scratch.file("private.txt")))
    }
}
