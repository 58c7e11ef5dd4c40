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
    /// spool, and deleting the row would let the next scan take it again),
    /// and so is a reprocess, as busy.
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
        // So is reprocessing it (it used to say its file was gone: the file is in the spool, not yet kept).
        let reprocess = try daemon.request("POST", "/v1/documents/\(queued)/reprocess")
        #expect(reprocess.status == 409)
        #expect((reprocess.json["error"] as? [String: Any])?["code"] as? String == "busy", "\(reprocess.text)")
        let done = try daemon.waitForSettled(count: 2, timeout: 120)
        try daemon.stop()
        try daemon.start()
        usleep(1_500_000)  // a few scans
        #expect(try daemon.documents().count == done.count)
        #expect(try daemon.request("DELETE", "/v1/documents/\(queued)").status == 204)
    }

    /// Symbolic links, FIFOs, sockets and names that are not UTF-8 in the
    /// spool are left alone with a log line; an upload whose name would go
    /// through a link in the spool writes nothing outside the daemon's folders.
    @Test func linksAndFIFOsInTheSpoolAreLeftAlone() throws {
        let daemon = DaemonFixture()
        try daemon.start()
        let elsewhere = daemon.scratch.file("elsewhere")
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        daemon.scratch.write("elsewhere/secret.txt", "A secret that must not be read through the spool.\n")
        #expect(symlink(elsewhere, daemon.spool + "/link") == 0)
        #expect(symlink(elsewhere + "/secret.txt", daemon.spool + "/secret-link.txt") == 0)
        #expect(mkfifo(daemon.spool + "/pipe.txt", 0o600) == 0)
        // A name that is not UTF-8 ("bad\xFFname.txt"): it cannot be taken by name, so it is named in the log.
        let badName = Array((daemon.spool + "/bad").utf8) + [0xFF] + Array("name.txt".utf8) + [0]
        let fd = badName.withUnsafeBufferPointer { open(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), O_CREAT | O_WRONLY, 0o600) }
        #expect(fd >= 0)
        close(fd)
        daemon.scratch.write("spool/real.txt", "A real file.\n")
        let documents = try daemon.waitForSettled(count: 1)
        #expect(documents.first?["name"] as? String == "real.txt")
        try waitUntil(timeout: 10, "the links, the FIFO and the bad name named in the log") {
            daemon.log.contains("left alone") && daemon.log.contains("symbolic link") && daemon.log.contains("FIFO")
                && daemon.log.contains("not valid UTF-8")
        }
        usleep(1_200_000)
        #expect(try daemon.documents().count == 1)
        // The named entries are still there, untouched.
        #expect(FileManager.default.fileExists(atPath: elsewhere + "/secret.txt"))

        // An upload is written into the daemon's own folder, never through the spool: a name that a link
        // in the spool would send elsewhere writes nothing there.
        let upload = try daemon.request("POST", "/v1/documents?name=link/new/x.txt", body: Array("through a link\n".utf8))
        #expect(upload.status == 201, "\(upload.text)")
        #expect(!FileManager.default.fileExists(atPath: elsewhere + "/new"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere) == ["secret.txt"])
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

    /// A zero-length database beside a full archive is refused at start, not
    /// served as an empty store; `tomed rebuild` puts the archived files back
    /// in the spool (a pipeline subfolder stays one) and the next start
    /// ingests the same documents again.
    @Test func aLostDatabaseIsRefusedAndRebuiltFromTheArchive() throws {
        let daemon = DaemonFixture()
        try daemon.start()
        daemon.scratch.write("spool/one.txt", "The first harbour log names the pilot Idris Maalouf.")
        try FileManager.default.createDirectory(atPath: daemon.spool + "/default", withIntermediateDirectories: true)
        daemon.scratch.write("spool/default/two.txt", "The second harbour log names the tanker Sea Lantern.")
        let before = try daemon.waitForSettled(count: 2)
        try daemon.stop()
        #expect(FileManager.default.fileExists(atPath: daemon.state + "/archive/default/two.txt"))
        for suffix in ["", "-wal", "-shm"] { unlink(daemon.state + "/tome.sqlite" + suffix) }
        daemon.scratch.write("state/tome.sqlite", "")

        let refused = try runProcess(daemon.tomed, ["--config", daemon.configPath])
        #expect(refused.status == 1, "\(refused.stderr)")
        #expect(refused.stderr.contains("is empty (0 bytes), but the archive"), "\(refused.stderr)")
        #expect(refused.stderr.contains("tomed rebuild"))

        let rebuilt = try runProcess(daemon.tomed, ["rebuild", "--config", daemon.configPath])
        #expect(rebuilt.status == 0, "\(rebuilt.stderr)")
        #expect(String(decoding: rebuilt.stdout, as: UTF8.self).contains("2 archived files moved back into \(daemon.spool)"))
        #expect(FileManager.default.fileExists(atPath: daemon.spool + "/default/two.txt"))

        try daemon.start()
        let after = try daemon.waitForSettled(count: 2)
        let hashes = { (documents: [[String: Any]]) in Set(documents.compactMap { $0["sha256"] as? String }) }
        #expect(hashes(after) == hashes(before))
        #expect(after.allSatisfy { $0["status"] as? String == "done" })
        try daemon.waitForMemoryReady()
        #expect(try daemon.get("/v1/engram?q=Sea+Lantern").json["documents"] as? Int == 1)
    }

    /// DELETE removes the document's file from the archive (and a refused
    /// duplicate's), and a failed document's file with its `.error` sidecar:
    /// a `tomed rebuild` afterwards brings back only what was not deleted.
    /// (They used to stay, and the rebuild ingested them again.)
    @Test func aDeletedDocumentStaysDeletedThroughARebuild() throws {
        let daemon = DaemonFixture()
        try daemon.start()
        let archive = daemon.state + "/archive", failed = daemon.state + "/failed"
        daemon.scratch.write("spool/gone.txt", "The harbour log that will be deleted names the pilot Idris Maalouf.")
        daemon.scratch.write("spool/kept.txt", "The harbour log that stays names the tanker Sea Lantern.")
        daemon.scratch.write("spool/empty.txt", "")
        let settled = try daemon.waitForSettled(count: 3)
        daemon.scratch.write("spool/gone again.txt", "The harbour log that will be deleted names the pilot Idris Maalouf.")
        try waitUntil(timeout: 30, "the duplicate archived") {
            FileManager.default.fileExists(atPath: archive + "/gone again.txt") && FileManager.default.fileExists(atPath: failed + "/empty.txt.error")
        }
        let id = { (name: String) in settled.first { $0["name"] as? String == name }?["id"] as? Int ?? 0 }
        #expect(try daemon.request("DELETE", "/v1/documents/\(id("gone.txt"))").status == 204)
        #expect(try daemon.request("DELETE", "/v1/documents/\(id("empty.txt"))").status == 204)
        for file in [archive + "/gone.txt", archive + "/gone again.txt", failed + "/empty.txt", failed + "/empty.txt.error"] {
            #expect(!FileManager.default.fileExists(atPath: file), "\(file)")
        }
        #expect(FileManager.default.fileExists(atPath: archive + "/kept.txt"))

        try daemon.stop()
        let rebuilt = try runProcess(daemon.tomed, ["rebuild", "--config", daemon.configPath])
        #expect(rebuilt.status == 0, "\(rebuilt.stderr)")
        #expect(String(decoding: rebuilt.stdout, as: UTF8.self).contains("1 archived file moved back"), "\(String(decoding: rebuilt.stdout, as: UTF8.self))")
        try daemon.start()
        let after = try daemon.waitForSettled(count: 1)
        usleep(1_500_000)  // a few scans: nothing else comes
        #expect(try daemon.documents().compactMap { $0["name"] as? String } == ["kept.txt"])
        withExtendedLifetime(after) {}
    }

    /// Whether a kept file is Tome's is recorded when it is kept: after the
    /// archive and failed folders move (SIGHUP), a DELETE still removes the
    /// files Tome put in the old ones, and never a file left in the spool.
    @Test func aDeleteRemovesTheFilesTomeKeptAfterItsFoldersMoved() throws {
        let daemon = DaemonFixture()
        try daemon.start()
        let archive = daemon.state + "/archive", failed = daemon.state + "/failed"
        daemon.scratch.write("spool/log.txt", "The harbour log names the pilot Idris Maalouf.")
        daemon.scratch.write("spool/empty.txt", "")
        let first = try daemon.waitForSettled(count: 2)
        try waitUntil(timeout: 30, "archived and failed") {
            FileManager.default.fileExists(atPath: archive + "/log.txt") && FileManager.default.fileExists(atPath: failed + "/empty.txt.error")
        }
        daemon.writeConfig(spoolSection: "on_success = \"leave\"\narchive_dir = \"\(daemon.state)/archive2\"\nfailed_dir = \"\(daemon.state)/failed2\"")
        kill(daemon.pid, SIGHUP)
        try waitUntil(timeout: 10, "reload logged") { daemon.log.contains("reloaded") }
        daemon.scratch.write("spool/left.txt", "The tanker Sea Lantern's log, left where it was written.")
        let all = try daemon.waitForSettled(count: 3)
        usleep(500_000)
        let id = { (name: String) in all.first { $0["name"] as? String == name }?["id"] as? Int ?? 0 }
        for name in ["log.txt", "empty.txt", "left.txt"] {
            #expect(try daemon.request("DELETE", "/v1/documents/\(id(name))").status == 204, "\(name)")
        }
        for file in [archive + "/log.txt", failed + "/empty.txt", failed + "/empty.txt.error"] {
            #expect(!FileManager.default.fileExists(atPath: file), "\(file)")
        }
        #expect(FileManager.default.fileExists(atPath: daemon.spool + "/left.txt"))  // the user's
        withExtendedLifetime(first) {}
    }

    /// `tomed rebuild` refuses while a daemon runs on the state dir.
    @Test func rebuildIsRefusedWhileTheDaemonRuns() throws {
        let daemon = DaemonFixture()
        try daemon.start()
        let run = try runProcess(daemon.tomed, ["rebuild", "--config", daemon.configPath])
        #expect(run.status == 1)
        #expect(run.stderr.contains("another tomed (pid \(daemon.pid)) is using the state dir"), "\(run.stderr)")
        #expect(try daemon.get("/v1/health").status == 200)
    }
}

/// Clients that hold the API: each case, then `/v1/health` answers in under
/// 100 ms (the median of ten; every one in under 2 s, so a test suite running
/// beside it on two cores does not make it flaky — the failures this guards
/// against were stalls of 11 to 30 s).
@Suite(.serialized) struct HostileClientTests {
    /// Milliseconds `GET /v1/health` takes, median of ten, after checking each answered within 2 s.
    static func healthMilliseconds(_ daemon: DaemonFixture) throws -> Double {
        var times: [Double] = []
        for _ in 0..<10 {
            let started = Date()
            let response = try daemon.get("/v1/health")
            #expect(response.status == 200)
            times.append(Date().timeIntervalSince(started) * 1000)
            usleep(20_000)
        }
        #expect(times.max() ?? 0 < 2000, "\(times)")
        return times.sorted()[times.count / 2]
    }

    /// Event streams are bounded per peer user and in all; an open stream
    /// gets heartbeats; health is fast while streams are held.
    @Test func eventStreamsAreBoundedAndHeartbeat() throws {
        let daemon = DaemonFixture(config: "max_event_streams = 6\nmax_event_streams_per_peer = 3")
        try daemon.start()
        var streams: [Int32] = []
        defer { for fd in streams { close(fd) } }
        for _ in 0..<3 {
            let fd = try UnixHTTP.connect(daemon.socket)
            try UnixHTTP.sendAll(fd, Array("GET /v1/events HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8))
            streams.append(fd)
        }
        usleep(300_000)
        let refused = try daemon.get("/v1/events")
        #expect(refused.status == 503)
        #expect((refused.json["error"] as? [String: Any])?["code"] as? String == "too_many_streams")
        #expect(try Self.healthMilliseconds(daemon) < 100)
        // A heartbeat reaches an open stream within the heartbeat interval (5 s).
        var tv = timeval(tv_sec: 8, tv_usec: 0)
        setsockopt(streams[0], SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var received = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = Date() + 8
        while Date() < deadline, !String(decoding: received, as: UTF8.self).contains("heartbeat") {
            let n = buffer.withUnsafeMutableBytes { recv(streams[0], $0.baseAddress, $0.count, 0) }
            guard n > 0 else { break }
            received += buffer[0..<n]
        }
        #expect(String(decoding: received, as: UTF8.self).contains(#""event":"heartbeat""#))
        // A closed stream frees its place.
        close(streams.removeLast())
        try waitUntil(timeout: 10, "a stream place freed") {
            let fd = try UnixHTTP.connect(daemon.socket)
            defer { close(fd) }
            try UnixHTTP.sendAll(fd, Array("GET /v1/events HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8))
            var head = [UInt8](repeating: 0, count: 12)
            return recv(fd, &head, head.count, 0) == 12 && String(decoding: head, as: UTF8.self) == "HTTP/1.1 200"
        }
    }

    /// Connections that never finish their request head are closed after
    /// header_timeout_s; health is fast meanwhile.
    @Test func slowHeadersAreCutOff() throws {
        let daemon = DaemonFixture(config: "header_timeout_s = 0.5")
        try daemon.start()
        var slow: [Int32] = []
        defer { for fd in slow { close(fd) } }
        for _ in 0..<30 {
            let fd = try UnixHTTP.connect(daemon.socket)
            try UnixHTTP.sendAll(fd, Array("GET /v1/heal".utf8))
            slow.append(fd)
        }
        #expect(try Self.healthMilliseconds(daemon) < 100)
        usleep(1_500_000)
        // Every slow connection was answered 408 with the JSON error and closed by the daemon.
        var answered = 0
        for fd in slow where Self.readToEnd(fd).hasPrefix("HTTP/1.1 408") { answered += 1 }
        #expect(answered == 30)
        // A bare request line without its version, as a person types it into a socket.
        let bare = try UnixHTTP.connect(daemon.socket)
        defer { close(bare) }
        try UnixHTTP.sendAll(bare, Array("GET /\r\n".utf8))
        let reply = Self.readToEnd(bare)
        #expect(reply.hasPrefix("HTTP/1.1 408") || reply.hasPrefix("HTTP/1.1 400"), "\(reply)")
        #expect(reply.contains("\"code\""), "\(reply)")
    }

    /// A request whose body stops arriving gets a 408 with the JSON error
    /// when `request_timeout_s` has passed without a byte, then the
    /// connection closes (it used to close without a word).
    @Test func aBodyThatStopsArrivingIsAnswered408() throws {
        let daemon = DaemonFixture(config: "request_timeout_s = 1.5")
        try daemon.start()
        let fd = try UnixHTTP.connect(daemon.socket)
        defer { close(fd) }
        let started = Date()
        try UnixHTTP.sendAll(fd, Array("POST /v1/ask HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n{\"question\": ".utf8))
        let reply = Self.readToEnd(fd, seconds: 10)
        #expect(reply.hasPrefix("HTTP/1.1 408"), "\(reply)")
        #expect(reply.contains("\"code\":\"request_timeout\""), "\(reply)")
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(try Self.healthMilliseconds(daemon) < 100)
    }

    /// What the daemon sends on `fd` until it closes it (at most `seconds`).
    static func readToEnd(_ fd: Int32, seconds: Int = 2) -> String {
        var tv = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            bytes += buffer[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// One peer user holds at most max_connections_per_peer connections; a
    /// second user (here root, the test) still gets in at once.
    @Test(.enabled(if: getuid() == 0, "needs root to run a client as nobody"))
    func onePeerCannotTakeEveryConnection() throws {
        let daemon = DaemonFixture(config: "socket_mode = \"0666\"\nmax_connections_per_peer = 5\nheader_timeout_s = 30")
        try daemon.start()
        chmod(daemon.scratch.path, 0o755)  // nobody must reach the socket's folder
        // nobody opens 12 connections and counts those the daemon closes at once.
        let script = """
            import socket, time
            socks = []
            for _ in range(12):
                s = socket.socket(socket.AF_UNIX); s.connect("\(daemon.socket)"); s.settimeout(0.3); socks.append(s)
            time.sleep(0.5)
            closed = 0
            for s in socks:
                try:
                    if s.recv(1) == b"": closed += 1
                except socket.timeout:
                    pass
            print(closed)
            """
        let run = try runProcess("runuser", ["-u", "nobody", "--", "python3", "-c", script])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(String(decoding: run.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) == "7")
        #expect(try Self.healthMilliseconds(daemon) < 100)
    }

    /// Dense asks run on a lane of their own, one at a time, with a short
    /// queue (503 past it); health stays fast while they run. "Fast" is
    /// measured against the asks themselves, so that a machine loaded by
    /// other tests (CI runs suites in parallel on two cores) slows both
    /// alike: a health check that waited for the lane would take about as
    /// long as the asks; one served beside them takes a small part of it.
    @Test func denseAsksDoNotStarveHealth() throws {
        let daemon = DaemonFixture()
        try daemon.start()
        let sentences = (0..<20_000).map { "Report \($0 % 97) of the harbour office describes cargo number \($0) in some detail." }
        daemon.scratch.write("spool/big.txt", sentences.joined(separator: " "))
        let id = try #require(try daemon.waitForSettled(count: 1).first?["id"] as? Int)
        let body = Array(#"{"question": "cargo number 4711 harbour office", "mode": "dense", "k": 50}"#.utf8)
        final class Replies: @unchecked Sendable {
            var statuses: [Int] = []
            var refusals: [UnixHTTPResponse] = []
            var stop = false
            let lock = NSLock()
        }
        let replies = Replies()
        let group = DispatchGroup()
        let socket = daemon.socket
        // Sixteen clients asking densely, again and again, as fast as the daemon answers or refuses
        // (threads of their own: the dispatch pool would run only a few at once).
        for _ in 0..<16 {
            group.enter()
            Thread {
                defer { group.leave() }
                while !replies.lock.withLock({ replies.stop }) {
                    guard let response = try? UnixHTTP.request(socket: socket, "POST", "/v1/documents/\(id)/ask", body: body) else { continue }
                    replies.lock.withLock {
                        replies.statuses.append(response.status)
                        if response.status == 503 { replies.refusals.append(response) }
                    }
                }
            }.start()
        }
        usleep(300_000)
        let health = try Self.healthMilliseconds(daemon)
        var reads: [Double] = []
        for target in ["/v1/status", "/metrics", "/v1/documents"] {
            let started = Date()
            #expect(try daemon.get(target).status == 200)
            reads.append(Date().timeIntervalSince(started) * 1000)
        }
        replies.lock.withLock { replies.stop = true }
        group.wait()
        #expect(health < 100, "health took \(health) ms under sixteen looping dense asks")
        #expect(reads.allSatisfy { $0 < 1000 }, "\(reads)")
        #expect(replies.statuses.contains(200))
        #expect(replies.statuses.allSatisfy { $0 == 200 || $0 == 503 }, "\(Set(replies.statuses))")
        // Beyond the lane's bound, a 503 that says when to come back; one user holds at most its share.
        let refusal = try #require(replies.refusals.first)
        #expect(Int(refusal.headers["retry-after"] ?? "") ?? 0 >= 1, "\(refusal.headers)")
        #expect((refusal.json["error"] as? [String: Any])?["retryable"] as? Bool == true)
        #expect(replies.refusals.contains { $0.text.contains("as one user may") }, "\(refusal.text)")
    }

    /// A request the HTTP parser refuses — before its head is whole or in its
    /// body — is a 400 with the JSON error body, never a 500 or an empty body;
    /// the daemon goes on.
    @Test func malformedRequestsGetJSON400s() throws {
        let daemon = DaemonFixture()
        try daemon.start()
        let cases: [(String, String)] = [
            ("a body shorter than its Content-Length", "POST /v1/documents?name=b.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nshort"),
            ("a bad chunk size", "POST /v1/documents?name=c.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nabc\r\n0\r\n\r\n"),
            ("a question cut short", "POST /v1/ask HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{\"question\":\"x\"}"),
            ("a malformed header", "GET /v1/health HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n"),
            ("a garbage request line", "GARBAGE\r\n\r\n"),
        ]
        for (what, raw) in cases {
            let response = try UnixHTTP.exchange(socket: daemon.socket, raw: Array(raw.utf8), halfClose: true)
            #expect(response.status == 400, "\(what): \(response.status) \(response.text)")
            let error = response.json["error"] as? [String: Any]
            #expect(error?["code"] as? String == "bad_request", "\(what): \(response.text)")
            #expect(error?["retryable"] as? Bool == false, "\(what)")
            #expect((error?["message"] as? String)?.hasPrefix("malformed HTTP request") == true, "\(what): \(response.text)")
        }
        #expect(!daemon.log.contains("request failed"))
        #expect(try Self.healthMilliseconds(daemon) < 100)
        #expect(try daemon.documents().isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: daemon.spool).isEmpty)
    }

    /// A line break (or any control character) in an upload's name is
    /// refused: it would forge lines in the log and in NAME.error.
    @Test func aNameWithALineBreakIsRefused() throws {
        let daemon = DaemonFixture()
        try daemon.start()
        for name in ["a%0Aerror%3A%20forged.txt", "b%0D.txt", "c%09d.txt", "e%1B%5B31m.txt"] {
            let response = try daemon.request("POST", "/v1/documents?name=\(name)", body: Array("text".utf8))
            #expect(response.status == 400, "\(name)")
            #expect((response.json["error"] as? [String: Any])?["code"] as? String == "bad_request")
        }
        #expect(try daemon.documents().isEmpty)
    }

    /// A file dropped in the spool with a line break in its name is taken,
    /// but its name is written escaped: it adds no line to the log and no
    /// field to its `NAME.error`.
    @Test func aNameWithALineBreakInTheSpoolForgesNoLine() throws {
        let daemon = DaemonFixture()
        try daemon.start()
        let name = "empty\nerror tomed: [TomeDaemon] forged.txt"
        daemon.scratch.write("spool/" + name, "")
        let documents = try daemon.waitForSettled(count: 1)
        #expect(documents.first?["status"] as? String == "failed")
        #expect(!daemon.log.split(separator: "\n").contains { $0.hasPrefix("error tomed: [TomeDaemon] forged") }, "\(daemon.log)")
        #expect(daemon.log.contains("empty\\nerror tomed"))
        // The sidecar is written once the failure is committed (Disposer), so it may come a moment after the status.
        try waitUntil(timeout: 10, "the file moved to failed/") { FileManager.default.fileExists(atPath: daemon.state + "/failed/\(name).error") }
        let sidecar = String(decoding: daemon.scratch.read("state/failed/\(name).error"), as: UTF8.self)
        #expect(sidecar.split(separator: "\n").map { $0.split(separator: ":").first ?? "" } == ["error", "message", "document", "file", "time"],
                "\(sidecar)")
        // `tome ls` and `tome show`: one row, one line for the name.
        let ls = String(decoding: try runProcess(daemon.tome, ["ls", "--socket", daemon.socket]).stdout, as: UTF8.self)
        #expect(ls.split(separator: "\n").count == 2, "\(ls)")
        #expect(ls.contains("empty\\nerror tomed: [TomeDaemon] forged.txt"), "\(ls)")
        let id = try #require(documents.first?["id"] as? Int)
        let show = String(decoding: try runProcess(daemon.tome, ["show", String(id), "--socket", daemon.socket]).stdout, as: UTF8.self)
        #expect(!show.split(separator: "\n").contains { $0.hasPrefix("error tomed") }, "\(show)")
    }

    /// An upload goes to the spool as it arrives, never whole into memory:
    /// 128 MiB raise the daemon's peak memory by far less than that (binary
    /// bytes, so that the document then fails at once instead of keeping the
    /// cores busy with its analysis). One over
    /// the limit is a 413 that leaves nothing behind, and a `.part` file a
    /// kill left is removed at the next start.
    @Test func uploadsAreStreamedToDisk() throws {
        let daemon = DaemonFixture(config: "max_body_bytes = 200000000")
        try daemon.start()
        let peak = { () -> Int in
            let status = (try? String(contentsOfFile: "/proc/\(daemon.pid)/status", encoding: .utf8)) ?? ""
            let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
            return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
        }
        let before = peak()
        let big = [UInt8](repeating: 0x01, count: 128 << 20)
        let response = try daemon.request("POST", "/v1/documents?name=gauge.bin", body: big)
        #expect(response.status == 201, "\(response.text)")
        #expect(peak() - before < 32 << 10, "peak memory grew from \(before) to \(peak()) KiB for a 128 MiB upload")
        let stored = try daemon.waitForSettled(count: 1)
        #expect(stored.first?["bytes"] as? Int == 128 << 20)

        let limited = DaemonFixture(config: "max_body_bytes = 1000")
        try limited.start()
        let tooLarge = try limited.request("POST", "/v1/documents?name=long.txt", body: Array(repeating: 0x41, count: 5000))
        #expect(tooLarge.status == 413)
        #expect((tooLarge.json["error"] as? [String: Any])?["code"] as? String == "too_large")
        #expect(try FileManager.default.contentsOfDirectory(atPath: limited.state + "/claimed").isEmpty)
        try limited.stop()
        // An upload a kill cut short: its slot in the claim folder holds only the hidden part.
        try FileManager.default.createDirectory(atPath: limited.state + "/claimed/upload-0a1b", withIntermediateDirectories: true)
        limited.scratch.write("state/claimed/upload-0a1b/.long.txt.part", "half an upload")
        try limited.start()
        #expect(!FileManager.default.fileExists(atPath: limited.state + "/claimed/upload-0a1b"))
        #expect(limited.log.contains("removed uploads and claims a stop cut short"))
        #expect(try limited.documents().isEmpty)
    }
}

/// A state dir whose file system fills up while tomed runs, then frees up.
@Suite(.serialized) struct DiskFullTests {
    /// Writes fail for want of space: health says degraded (503), status and
    /// metrics show it, no job is left in processing, no partial copy lands in
    /// the archive, the log says so once; when space returns, everything
    /// finishes by itself, archived under its own name.
    @Test(.enabled(if: SmallFileSystem.available, "mounting a tmpfs needs root"))
    func aFullDiskPausesAndSpaceResumes() throws {
        let daemon = DaemonFixture(jobs: "workers = 2\nmin_free_mb = 0")
        let disk = try SmallFileSystem(at: daemon.state, megabytes: 60)
        try daemon.start()
        let filler = disk.fill(leaving: 1 << 20)
        let names = (1...4).map { "gen\($0).txt" }
        for (n, name) in names.enumerated() {
            let paragraph = (0..<4_000).map { "Line \($0) of file \(n) says something about cargo and tides." }.joined(separator: "\n")
            daemon.scratch.write("spool/\(name)", paragraph)  // ~230 KB each, more than the room left
        }
        try waitUntil(timeout: 30, "health degraded") { (try? daemon.get("/v1/health").status) == 503 }
        let health = try daemon.get("/v1/health").json
        #expect((health["problems"] as? [String])?.first?.hasPrefix("disk full") == true, "\(health)")
        #expect((try daemon.get("/v1/status").json["storage"] as? [String: Any])?["writable"] as? Bool == false)
        #expect(try daemon.get("/metrics").text.contains("tome_disk_full 1"))
        // A document still in processing is held by a worker waiting for space with its result (once its child is done:
        // on a loaded machine that may take a while).
        let paused = try daemon.documents()
        let processing = paused.filter { $0["status"] as? String == "processing" }
        #expect(processing.count <= (try daemon.get("/v1/status").json["workers_busy"] as? Int ?? 0))
        for document in processing {
            let id = try #require(document["id"] as? Int)
            try waitUntil(timeout: 60, "document \(id) waiting for space") {
                (try? daemon.get("/v1/documents/\(id)").json["progress"] as? [String: Any])??["stage"] as? String == "waiting for space"
            }
        }
        let archive = daemon.state + "/archive"
        let partials = (try? FileManager.default.contentsOfDirectory(atPath: archive))?.filter { $0.hasSuffix(".part") } ?? []
        #expect(partials.isEmpty, "\(partials)")
        #expect(daemon.log.components(separatedBy: "disk full: intake and processing paused").count <= 3)

        try FileManager.default.removeItem(atPath: filler)
        let documents = try daemon.waitForSettled(count: names.count, timeout: 60)
        #expect(documents.allSatisfy { $0["status"] as? String == "done" }, "\(documents)")
        #expect(try daemon.get("/v1/health").status == 200)
        try waitUntil(timeout: 20, "every file archived") {
            Set((try? FileManager.default.contentsOfDirectory(atPath: archive)) ?? []) == Set(names)
        }
        #expect(daemon.log.contains("space is back"))
        withExtendedLifetime(disk) {}
    }
}
