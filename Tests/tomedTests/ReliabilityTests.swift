import Foundation
import Glibc
import Testing
import TomeTestSupport

/// What a hostile or unlucky environment does to the real daemon: a full
/// disk, a second daemon, links and FIFOs in the shared spool, a delete
/// racing the queue. Each test fails without the fix it names.
@Suite(.serialized) struct ReliabilityTests {
    /// The corpus memory is reserved with posix_fallocate: on a state dir
    /// without room for it, tomed stops with "No space left on device" (exit
    /// status 1) instead of dying of SIGBUS in a crash loop.
    @Test(.enabled(if: SmallFileSystem.available, "mounting a tmpfs needs root"))
    func aFullStateDiskAtStartIsAClearErrorNotACrash() throws {
        let daemon = DaemonFixture()
        let disk = try SmallFileSystem(at: daemon.state, megabytes: 20)
        let run = try runProcess(daemon.tomed, ["--config", daemon.configPath])
        #expect(run.status == 1, "\(run.stderr)")
        #expect(run.stderr.contains("No space left on device"), "\(run.stderr)")
        #expect(run.stderr.contains("engram.mem"))
        withExtendedLifetime(disk) {}
    }

    /// A second tomed with its own state dir but the same socket is refused
    /// by the socket's lock; the first keeps answering on it.
    @Test func aSecondDaemonCannotTakeOverALiveSocket() throws {
        let first = DaemonFixture()
        try first.start()
        let second = DaemonFixture()
        second.scratch.write("tomed.toml", String(decoding: second.scratch.read("tomed.toml"), as: UTF8.self)
            .replacingOccurrences(of: second.socket, with: first.socket))
        let run = try runProcess(second.tomed, ["--config", second.configPath])
        #expect(run.status == 1)
        #expect(run.stderr.contains("another tomed (pid \(first.pid)) is using the socket"), "\(run.stderr)")
        #expect(try first.get("/v1/health").status == 200)
    }

    /// DELETE of a queued document is refused (its file is still in the
    /// spool, and deleting the row would let the next scan take it again).
    @Test func deletingAQueuedDocumentIsRefusedAndNothingComesBack() throws {
        let daemon = DaemonFixture(jobs: "workers = 1")
        try daemon.start()
        daemon.scratch.write("spool/big.pdf", DaemonEndToEndTests.slowPDF(in: daemon.scratch))
        try waitUntil(timeout: 30, "the big PDF in work") { !daemon.children(containing: "extract").isEmpty }
        daemon.scratch.write("spool/small.txt", "A small file that waits its turn.\n")
        var queued = 0
        try waitUntil(timeout: 30, "small.txt queued") {
            queued = (try daemon.documents().first { $0["name"] as? String == "small.txt" && $0["status"] as? String == "queued" }?["id"] as? Int) ?? 0
            return queued != 0
        }
        let refused = try daemon.request("DELETE", "/v1/documents/\(queued)")
        #expect(refused.status == 409)
        #expect((refused.json["error"] as? [String: Any])?["code"] as? String == "busy")
        let done = try daemon.waitForSettled(count: 2, timeout: 120)
        try daemon.stop()
        try daemon.start()
        usleep(1_500_000)  // a few scans
        #expect(try daemon.documents().count == done.count)
        #expect(try daemon.request("DELETE", "/v1/documents/\(queued)").status == 204)
    }

    /// Symbolic links, FIFOs and sockets in the spool are left alone with a
    /// log line; an upload whose name goes through a link is refused and
    /// writes nothing outside the spool.
    @Test func linksAndFIFOsInTheSpoolAreLeftAlone() throws {
        let daemon = DaemonFixture()
        try daemon.start()
        let elsewhere = daemon.scratch.file("elsewhere")
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        daemon.scratch.write("elsewhere/secret.txt", "A secret that must not be read through the spool.\n")
        #expect(symlink(elsewhere, daemon.spool + "/link") == 0)
        #expect(symlink(elsewhere + "/secret.txt", daemon.spool + "/secret-link.txt") == 0)
        #expect(mkfifo(daemon.spool + "/pipe.txt", 0o600) == 0)
        daemon.scratch.write("spool/real.txt", "A real file.\n")
        let documents = try daemon.waitForSettled(count: 1)
        #expect(documents.first?["name"] as? String == "real.txt")
        try waitUntil(timeout: 10, "the links and the FIFO named in the log") {
            daemon.log.contains("left alone") && daemon.log.contains("symbolic link") && daemon.log.contains("FIFO")
        }
        usleep(1_200_000)
        #expect(try daemon.documents().count == 1)
        // The named entries are still there, untouched.
        #expect(FileManager.default.fileExists(atPath: elsewhere + "/secret.txt"))

        let upload = try daemon.request("POST", "/v1/documents?name=link/new/x.txt", body: Array("through a link\n".utf8))
        #expect(upload.status == 400, "\(upload.text)")
        #expect(!FileManager.default.fileExists(atPath: elsewhere + "/new"))
        // An upload into a real subfolder still works.
        #expect(try daemon.request("POST", "/v1/documents?name=sub/ok.txt", body: Array("fine\n".utf8)).status == 201)
    }

    /// `tomed extract` on a FIFO fails at once (it used to wait for a writer forever).
    @Test func extractOnAFIFOReturnsAtOnce() throws {
        let scratch = Scratch()
        #expect(mkfifo(scratch.file("pipe.txt"), 0o600) == 0)
        let started = Date()
        let run = try runProcess(DaemonFixture().tomed, ["extract", scratch.file("pipe.txt")])
        #expect(run.status == 1)
        #expect(run.stderr.contains("not a regular file"), "\(run.stderr)")
        #expect(Date().timeIntervalSince(started) < 10)
    }
}
