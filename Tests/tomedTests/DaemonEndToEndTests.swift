import Foundation
import Glibc
import Testing
import TomeTestSupport

/// The real `tomed`, started on a scratch spool, fed real files, and checked
/// through its real socket. Serialized: each test runs a daemon with workers
/// and child processes of its own.
@Suite(.serialized) struct DaemonEndToEndTests {
    static func pdf(_ pages: [[String]], in scratch: Scratch, name: String) -> [UInt8] {
        let path = scratch.file("build-" + name)
        PDFWriter(pages: pages).write(to: path)
        return scratch.read("build-" + name)
    }

    static func document(named name: String, in documents: [[String: Any]]) -> [String: Any]? {
        documents.first { $0["name"] as? String == name }
    }

    @Test func droppedFilesBecomeDoneDocumentsWithTheirText() throws {
        let daemon = DaemonFixture()
        try daemon.start()
        let bytes = Self.pdf([["Alpha page one."], ["Beta page two."], ["Gamma page three."]], in: daemon.scratch, name: "three.pdf")
        daemon.scratch.write("spool/three.pdf", bytes)
        daemon.scratch.write("spool/notes.md", "# Notes\n\nPlain words here.\n")
        let documents = try daemon.waitForSettled(count: 2)
        let pdf = try #require(Self.document(named: "three.pdf", in: documents))
        #expect(pdf["status"] as? String == "done")
        #expect(pdf["pages"] as? Int == 3)
        #expect(pdf["type"] as? String == "pdf")
        let id = try #require(pdf["id"] as? Int)
        #expect(try daemon.get("/v1/documents/\(id)/text?page=2").text == "Beta page two.")
        #expect(try daemon.get("/v1/documents/\(id)/text").text == "Alpha page one.\n\u{0C}Beta page two.\n\u{0C}Gamma page three.")
        #expect(try daemon.get("/v1/documents/\(id)/text?page=4").status == 404)
        // Archived after commit, out of the spool.
        try waitUntil(timeout: 10, "files archived") {
            FileManager.default.fileExists(atPath: daemon.state + "/archive/three.pdf") && !FileManager.default.fileExists(atPath: daemon.spool + "/three.pdf")
        }
    }

    @Test func manyFilesAtOnceSlowWritersAndRenamesEachBecomeOneDocument() throws {
        let daemon = DaemonFixture()
        try daemon.start()
        for n in 0..<12 { daemon.scratch.write("spool/batch-\(n).txt", "Document number \(n) with its own words.\n") }
        // A slow writer: several chunks, pauses longer than settle_ms while the file stays open.
        let fd = open(daemon.spool + "/slow.txt", O_WRONLY | O_CREAT | O_EXCL, 0o644)
        try #require(fd >= 0)
        for chunk in 0..<4 {
            let line = Array("chunk \(chunk) of the slow file.\n".utf8)
            #expect(write(fd, line, line.count) == line.count)
            usleep(350_000)
        }
        close(fd)
        // Renamed in from a .part name: ignored while .part, taken at once after.
        daemon.scratch.write("spool/renamed.txt.part", "Arrived by rename.\n")
        usleep(600_000)
        #expect(try daemon.documents().allSatisfy { $0["name"] as? String != "renamed.txt.part" })
        rename(daemon.spool + "/renamed.txt.part", daemon.spool + "/renamed.txt")
        let documents = try daemon.waitForSettled(count: 14)
        #expect(documents.allSatisfy { $0["status"] as? String == "done" })
        #expect(Set(documents.compactMap { $0["name"] as? String }).count == 14)
        let slow = try #require(Self.document(named: "slow.txt", in: documents)?["id"] as? Int)
        #expect(try daemon.get("/v1/documents/\(slow)/text").text == (0..<4).map { "chunk \($0) of the slow file.\n" }.joined())
    }

    @Test func sameContentTwiceIsADuplicateAndBothFilesAreArchived() throws {
        let daemon = DaemonFixture()
        try FileManager.default.createDirectory(atPath: daemon.spool + "/sub", withIntermediateDirectories: true)
        try daemon.start()
        daemon.scratch.write("spool/first.txt", "Identical content.\n")
        _ = try daemon.waitForSettled(count: 1)
        daemon.scratch.write("spool/sub/second.txt", "Identical content.\n")
        try waitUntil(timeout: 15, "the duplicate archived") { FileManager.default.fileExists(atPath: daemon.state + "/archive/sub/second.txt") }
        #expect(try daemon.documents().count == 1)
        // Uploading it is a 409 that names the existing document.
        let upload = try daemon.request("POST", "/v1/documents?name=third.txt", body: Array("Identical content.\n".utf8))
        #expect(upload.status == 409)
        #expect((upload.json["error"] as? [String: Any])?["code"] as? String == "duplicate")
        let existing = try #require(try daemon.documents().first?["id"] as? Int)
        #expect(upload.json["id"] as? Int == existing)
        // After a delete, the same content is new again.
        #expect(try daemon.request("DELETE", "/v1/documents/\(existing)").status == 204)
        let again = try daemon.request("POST", "/v1/documents?name=fourth.txt", body: Array("Identical content.\n".utf8))
        #expect(again.status == 201)
        #expect(again.json["id"] as? Int != existing)
    }

    @Test func eachTypedFailureLandsInFailedWithItsSidecar() throws {
        let daemon = DaemonFixture()
        // A TMPDIR of its own: the daemon writes its files where they belong, never there.
        let tmp = daemon.scratch.file("tmp")
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        try daemon.start(environment: ["TMPDIR": tmp])
        let plain = Self.pdf([["Secret text."]], in: daemon.scratch, name: "plain.pdf")
        daemon.scratch.write("plain.pdf", plain)
        let qpdf = try runProcess("qpdf", ["--encrypt", "u", "o", "256", "--", daemon.scratch.file("plain.pdf"), daemon.scratch.file("locked.pdf")])
        try #require(qpdf.status == 0)
        daemon.scratch.write("spool/locked.pdf", daemon.scratch.read("locked.pdf"))
        daemon.scratch.write("spool/empty.txt", [])
        daemon.scratch.write("spool/noise.pdf", [0x00, 0x01, 0x02] + (0..<2000).map { UInt8(truncatingIfNeeded: $0 &* 7919) })
        daemon.scratch.write("spool/broken.pdf", "%PDF-1.7\n" + String(repeating: "garbage ", count: 200))
        let documents = try daemon.waitForSettled(count: 4)
        let expected = ["locked.pdf": "encrypted", "empty.txt": "empty", "noise.pdf": "unsupported_type", "broken.pdf": "corrupt"]
        for (name, code) in expected {
            let document = try #require(Self.document(named: name, in: documents))
            #expect(document["status"] as? String == "failed")
            #expect((document["error"] as? [String: Any])?["code"] as? String == code, "\(name)")
            try waitUntil(timeout: 10, "\(name) moved to failed/") { FileManager.default.fileExists(atPath: daemon.state + "/failed/\(name).error") }
            let sidecar = String(decoding: daemon.scratch.read("state/failed/\(name).error"), as: UTF8.self)
            #expect(sidecar.contains("error: \(code)"))
            #expect(FileManager.default.fileExists(atPath: daemon.state + "/failed/\(name)"))
        }
        // A failed document has nothing to read or ask, and waiting will not change that: not retryable, and says what will.
        let failed = try #require(Self.document(named: "broken.pdf", in: documents)?["id"] as? Int)
        for (method, target, body) in [("POST", "/v1/documents/\(failed)/ask", #"{"question": "What?"}"#), ("GET", "/v1/documents/\(failed)/summary", "")] {
            let response = try daemon.request(method, target, body: Array(body.utf8))
            let error = try #require(response.json["error"] as? [String: Any])
            #expect(response.status == 409 && error["code"] as? String == "not_ready" && error["retryable"] as? Bool == false, "\(target)")
            #expect((error["message"] as? String ?? "").contains("tome reprocess \(failed)"), "\(target)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp).isEmpty)
    }

    @Test func killNineMidBatchThenRestartFinishesEverythingOnce() throws {
        let daemon = DaemonFixture()
        try daemon.start()
        let count = 16
        for n in 0..<count {
            let pages = (1...40).map { p in ["File \(n) page \(p).", "Filler text to give the parser some work on page \(p)."] }
            daemon.scratch.write("spool/doc-\(n).pdf", Self.pdf(pages, in: daemon.scratch, name: "doc-\(n).pdf"))
        }
        try waitUntil(timeout: 60, "some documents done") {
            ((try? daemon.documents()) ?? []).filter { $0["status"] as? String == "done" }.count >= 2
        }
        try daemon.stop(signal: SIGKILL)
        try daemon.start()
        let documents = try daemon.waitForSettled(count: count, timeout: 120)
        #expect(documents.allSatisfy { $0["status"] as? String == "done" })
        #expect(Set(documents.compactMap { $0["name"] as? String }) == Set((0..<count).map { "doc-\($0).pdf" }))
        for document in documents {
            let id = try #require(document["id"] as? Int)
            let n = try #require((document["name"] as? String)?.dropFirst(4).split(separator: ".").first)
            #expect(try daemon.get("/v1/documents/\(id)/text?page=40").text.hasPrefix("File \(n) page 40."))
        }
        try waitUntil(timeout: 15, "spool emptied") {
            ((try? FileManager.default.contentsOfDirectory(atPath: daemon.spool)) ?? ["?"]).isEmpty
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: daemon.state + "/archive").count == count)
    }

    /// Pages of `slowPDF`: about 4 s of extraction for one worker in a debug build.
    static let slowPages = 6000

    /// A PDF big enough that its extraction is still running when the test acts.
    static func slowPDF(in scratch: Scratch) -> [UInt8] {
        let pages = (1...slowPages).map { p in (1...30).map { line in "Page \(p) line \(line) with enough words to keep poppler busy." } }
        return pdf(pages, in: scratch, name: "slow.pdf")
    }

    @Test func aKilledParserFailsThatDocumentAndTheDaemonGoesOn() throws {
        let daemon = DaemonFixture(jobs: "workers = 1\nretries = 0")
        try daemon.start()
        daemon.scratch.write("spool/big.pdf", Self.slowPDF(in: daemon.scratch))
        let child = try daemon.waitForChild()
        kill(child, SIGSEGV)
        let documents = try daemon.waitForSettled(count: 1)
        let error = try #require(documents.first?["error"] as? [String: Any], "\(documents) \(daemon.log)")
        #expect(error["code"] as? String == "crashed")
        #expect(error["message"] as? String == "parser crashed: signal 11 (SIGSEGV)")
        // The daemon still works.
        daemon.scratch.write("spool/after.txt", "Still alive.\n")
        let after = try daemon.waitForSettled(count: 2)
        #expect(Self.document(named: "after.txt", in: after)?["status"] as? String == "done")
    }

    /// A document whose analysis traps (the test hook TOME_TEST_CRASH_ON) costs
    /// its child, `retries + 1` times, then fails with the signal named; the
    /// daemon stays up, processes the rest, and a restart does not retry it.
    @Test func aDocumentThatCrashesItsAnalysisFailsAloneAndTheDaemonStaysUp() throws {
        let daemon = DaemonFixture(jobs: "workers = 1\nretries = 1")
        try daemon.start(environment: ["TOME_TEST_CRASH_ON": "CRASH-THE-ANALYSIS"])
        let pid = daemon.pid
        daemon.scratch.write("spool/poison.txt", "A perfectly ordinary line.\nCRASH-THE-ANALYSIS here.\n")
        daemon.scratch.write("spool/fine.txt", "Nothing wrong with this one.\n")
        let documents = try daemon.waitForSettled(count: 2)
        let poison = try #require(Self.document(named: "poison.txt", in: documents))
        #expect(poison["status"] as? String == "failed")
        #expect(poison["attempts"] as? Int == 2)
        let error = try #require(poison["error"] as? [String: Any])
        #expect(error["code"] as? String == "crashed")
        #expect((error["message"] as? String)?.hasPrefix("parser crashed: signal") == true, "\(error)")
        #expect(Self.document(named: "fine.txt", in: documents)?["status"] as? String == "done")
        #expect(daemon.pid == pid)
        #expect(try daemon.get("/v1/health").status == 200)
        try waitUntil(timeout: 10, "poison.txt moved to failed/") { FileManager.default.fileExists(atPath: daemon.state + "/failed/poison.txt.error") }
        // A restart leaves the failed document alone.
        try daemon.stop()
        try daemon.start(environment: ["TOME_TEST_CRASH_ON": "CRASH-THE-ANALYSIS"])
        let again = try daemon.waitForSettled(count: 2)
        #expect(Self.document(named: "poison.txt", in: again)?["attempts"] as? Int == 2)
    }

    @Test func aHangingParserTimesOut() throws {
        let daemon = DaemonFixture(config: "", jobs: "workers = 1\nretries = 1")
        daemon.scratch.write("tomed.toml", String(decoding: daemon.scratch.read("tomed.toml"), as: UTF8.self) + "\n[extract]\ntimeout_s = 0.3\n")
        try daemon.start()
        daemon.scratch.write("spool/big.pdf", Self.slowPDF(in: daemon.scratch))
        let documents = try daemon.waitForSettled(count: 1)
        let error = try #require(documents.first?["error"] as? [String: Any])
        #expect(error["code"] as? String == "timeout")
        #expect(error["message"] as? String == "timeout after 0.3 s")
        #expect(documents.first?["attempts"] as? Int == 2)  // one retry, then failed
        #expect(daemon.children(containing: "extract").isEmpty)
    }

    @Test func sigtermWhileBusyStopsGracefullyAndLosesNothing() throws {
        let daemon = DaemonFixture(jobs: "workers = 1")
        try daemon.start()
        daemon.scratch.write("spool/big.pdf", Self.slowPDF(in: daemon.scratch))
        try waitUntil(timeout: 30, "processing") { daemon.children(containing: "extract").count == 1 }
        let child = daemon.children(containing: "extract")[0]
        let stopping = Date()
        let status = try daemon.stop(signal: SIGTERM, timeout: 25)
        #expect(status == 0)
        #expect(Date().timeIntervalSince(stopping) < 5, "a graceful stop must not wait for the document")
        #expect(kill(child, 0) != 0, "the child must be gone")
        // The file waits in the daemon's claim folder for the restart.
        let claimed = try FileManager.default.subpathsOfDirectory(atPath: daemon.state + "/claimed")
        #expect(claimed.contains { $0.hasSuffix("/big.pdf") }, "\(claimed) \(daemon.log)")
        try daemon.start()
        let documents = try daemon.waitForSettled(count: 1, timeout: 120)
        #expect(documents.first?["status"] as? String == "done")
        #expect(documents.first?["pages"] as? Int == Self.slowPages)
        #expect(documents.first?["attempts"] as? Int == 1)  // the interrupted attempt does not count
    }

    @Test func sighupReloadsConfigAndPipelines() throws {
        let daemon = DaemonFixture()
        try daemon.start()
        daemon.scratch.write("spool/before.txt", "Before the reload.\n")
        _ = try daemon.waitForSettled(count: 1)
        try waitUntil(timeout: 10, "before.txt archived") { FileManager.default.fileExists(atPath: daemon.state + "/archive/before.txt") }
        daemon.scratch.write("pipelines/contracts.toml", "description = \"Contracts\"\n")
        daemon.writeConfig(spoolSection: "on_success = \"leave\"")
        kill(daemon.pid, SIGHUP)
        try waitUntil(timeout: 10, "reload logged") { daemon.log.contains("reloaded") }
        try FileManager.default.createDirectory(atPath: daemon.spool + "/contracts", withIntermediateDirectories: true)
        daemon.scratch.write("spool/contracts/deal.txt", "A contract.\n")
        let documents = try daemon.waitForSettled(count: 2)
        let deal = try #require(Self.document(named: "contracts/deal.txt", in: documents))
        #expect(deal["pipeline"] as? String == "contracts")
        usleep(500_000)
        #expect(FileManager.default.fileExists(atPath: daemon.spool + "/contracts/deal.txt"))  // left, as now configured
    }

    @Test func readinessReachesSystemdAndASecondDaemonIsRefused() throws {
        let daemon = DaemonFixture()
        let notifyPath = daemon.scratch.file("notify.sock")
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, b) in notifyPath.utf8.enumerated() { raw[i] = b } }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(bound == 0)
        // A 2 s watchdog: the daemon probes its own /v1/health every second and feeds it.
        try daemon.start(environment: ["NOTIFY_SOCKET": notifyPath, "WATCHDOG_USEC": "2000000"])
        var messages: [String] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = Date() + 4
        while Date() < deadline, messages.filter({ $0.contains("WATCHDOG=1") }).count < 2 {
            let n = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if n > 0 { messages.append(String(decoding: buffer[0..<n], as: UTF8.self)) } else { usleep(50_000) }
        }
        #expect(messages.contains { $0.contains("READY=1") }, "\(messages)")
        #expect(messages.filter { $0.contains("WATCHDOG=1") }.count >= 2, "\(messages)")

        let second = try runProcess(daemon.tomed, ["--config", daemon.configPath])
        #expect(second.status == 1)
        #expect(second.stderr.contains("another tomed"))
        #expect(try daemon.get("/v1/health").status == 200)  // the first one still owns the socket
    }

    @Test(.enabled(if: getuid() == 0, "needs root to create users and run as them"))
    func aReadOnlyClientMayReadAndAskButNotWrite() throws {
        for (group, user) in [("tomereaders", "tome-reader"), ("tomenobody", "tome-outsider")] {
            _ = try runProcess("groupadd", ["-f", group])
            _ = try runProcess("useradd", ["-M", "-N", "-g", group, "-s", "/usr/sbin/nologin", user])
        }
        let daemon = DaemonFixture(config: "socket_mode = \"0666\"\nread_groups = [\"tomereaders\"]\nwrite_groups = []")
        try daemon.start()
        // Let the test users reach the socket and a copy of `tome` inside the
        // scratch folder (the build folder may sit where they cannot look).
        chmod(daemon.scratch.path, 0o755)
        daemon.scratch.write("upload.txt", "Nobody may add this.\n")
        chmod(daemon.scratch.file("upload.txt"), 0o644)
        let tome = daemon.scratch.file("tome")
        try FileManager.default.copyItem(atPath: daemon.tome, toPath: tome)
        chmod(tome, 0o755)
        let read = try runProcess("runuser", ["-u", "tome-reader", "--", tome, "status", "--json", "--socket", daemon.socket])
        #expect(read.status == 0, "\(read.stderr)")
        let write = try runProcess("runuser", ["-u", "tome-reader", "--", tome, "add", "--socket", daemon.socket, daemon.scratch.file("upload.txt")])
        #expect(write.status == 1)
        #expect(write.stderr.contains("may read but not POST"))
        // Asking only reads: a reader may.
        let ask = try runProcess("runuser", ["-u", "tome-reader", "--", tome, "ask", "--all", "--json", "--socket", daemon.socket, "who wrote it?"])
        #expect(ask.status == 0, "\(ask.stderr)")
        let outsider = try runProcess("runuser", ["-u", "tome-outsider", "--", tome, "status", "--socket", daemon.socket])
        #expect(outsider.status == 1)
        #expect(outsider.stderr.contains("not allowed"))
        #expect(try daemon.documents().isEmpty)
    }

    @Test func cliAddWaitsAndReadsBack() throws {
        let daemon = DaemonFixture()
        try daemon.start()
        let file = daemon.scratch.write("report.md", "# Report\n\nThe figures are in.\n")
        let add = try runProcess(daemon.tome, ["add", "--wait", "--json", "--socket", daemon.socket, file])
        #expect(add.status == 0, "\(add.stderr)")
        let added = try #require(try JSONSerialization.jsonObject(with: add.stdout) as? [[String: Any]])
        #expect(added.first?["status"] as? String == "done")
        let id = try #require(added.first?["id"] as? Int)
        let text = try runProcess(daemon.tome, ["text", String(id), "--socket", daemon.socket])
        #expect(String(decoding: text.stdout, as: UTF8.self) == "# Report\n\nThe figures are in.\n")
        let missing = try runProcess(daemon.tome, ["show", "999", "--socket", daemon.socket])
        #expect(missing.status == 1)
        // Usage errors the CLI can see itself are usage errors (exit 64), before it asks the daemon.
        for arguments in [["find", "--kind", "bogus"], ["extract", "1", "--kind", "bogus"], ["ask", "1", "What?", "-k", "0"], ["find", "--kind", "names", "--limit", "0"],
                          ["add", "--name", "x.txt", file, file], ["add", "--name", "a/b.txt", file]] {
            let usage = try runProcess(daemon.tome, arguments + ["--socket", daemon.socket])
            #expect(usage.status == 64, "\(arguments): \(usage.stderr)")
        }
        #expect(missing.stderr == "tome: no document 999\n")
        // The socket option before the subcommand works as after it.
        let first = try runProcess(daemon.tome, ["--socket", daemon.socket, "ls"])
        #expect(first.status == 0 && String(decoding: first.stdout, as: UTF8.self).contains("report.md"), "\(first.stderr)")
        #expect(try runProcess(daemon.tome, ["--socket=\(daemon.socket)", "show", String(id)]).status == 0)
        // A word where the document id goes says it is not one.
        let word = try runProcess(daemon.tome, ["ask", "invoice", "What is the total?", "--socket", daemon.socket])
        #expect(word.status == 64 && word.stderr.contains("\"invoice\" is not a document id"), "\(word.stderr)")
        // A question of common words only is refused with its reason; one nothing holds says why there is no answer.
        let common = try runProcess(daemon.tome, ["ask", String(id), "the of and", "--socket", daemon.socket])
        #expect(common.status == 1 && common.stderr.contains("only common words"), "\(common.stderr)")
        let foreign = try runProcess(daemon.tome, ["ask", String(id), "Wann endet das Mietverhältnis?", "--socket", daemon.socket])
        #expect(foreign.status == 0 && String(decoding: foreign.stdout, as: UTF8.self).contains("holds any of the question's words"),
                "\(String(decoding: foreign.stdout, as: UTF8.self))")
        // A file it cannot read says why: a folder, a name that is not there.
        let folder = try runProcess(daemon.tome, ["add", "--socket", daemon.socket, daemon.scratch.file("spool")])
        #expect(folder.status == 1 && folder.stderr.contains("is a folder: add its files"), "\(folder.stderr)")
        let absent = try runProcess(daemon.tome, ["add", "--socket", daemon.socket, daemon.scratch.file("absent.md")])
        #expect(absent.status == 1 && absent.stderr.hasSuffix("absent.md: no such file or directory\n"), "\(absent.stderr)")
        // A pipe is sent as it comes (`tome add <(curl …)`), its length unknown.
        let piped = Process()
        piped.executableURL = URL(fileURLWithPath: daemon.tome)
        piped.arguments = ["add", "--wait", "--json", "--name", "piped.txt", "--socket", daemon.socket, "/dev/stdin"]
        let input = Pipe(), output = Pipe()
        piped.standardInput = input
        piped.standardOutput = output
        try piped.run()
        try input.fileHandleForWriting.write(contentsOf: Data("Piped in from another program.\n".utf8))
        try input.fileHandleForWriting.close()
        let reply = output.fileHandleForReading.readDataToEndOfFile()
        piped.waitUntilExit()
        #expect(piped.terminationStatus == 0)
        let pipedID = try #require((try JSONSerialization.jsonObject(with: reply) as? [[String: Any]])?.first?["id"] as? Int)
        #expect(String(decoding: try runProcess(daemon.tome, ["text", String(pipedID), "--socket", daemon.socket]).stdout, as: UTF8.self)
                == "Piped in from another program.\n")
        #expect(Self.document(named: "piped.txt", in: try daemon.documents())?["id"] as? Int == pipedID)
        // No daemon there is said at once (AsyncHTTPClient alone tried a missing socket again and again for 90 s).
        let nowhere = Process()
        nowhere.executableURL = URL(fileURLWithPath: daemon.tome)
        nowhere.arguments = ["status", "--socket", daemon.scratch.file("absent.sock")]
        let nowhereError = Pipe()
        nowhere.standardError = nowhereError
        try nowhere.run()
        defer { if nowhere.isRunning { nowhere.terminate() } }
        try waitUntil(timeout: 10, "tome status with no daemon ending") { !nowhere.isRunning }
        let said = String(decoding: nowhereError.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(nowhere.terminationStatus == 1 && said.contains("absent.sock: no socket there (is tomed running?"), "\(said)")
        let badRequest = try daemon.request("POST", "/v1/documents?name=../escape.txt", body: [0x41])
        #expect(badRequest.status == 400)
        // A form (curl -F) is a 415 that stores nothing: its boundaries would have become the file's text.
        let form = try runProcess("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--unix-socket", daemon.socket,
                                           "-F", "file=@\(file)", "http://localhost/v1/documents?name=form.md"])
        #expect(String(decoding: form.stdout, as: UTF8.self) == "415")
        #expect(try daemon.documents().count == 2)  // report.md and the piped text
        // A part longer than the file system allows is a 400, not a failed rename (found by schemathesis).
        #expect(try daemon.request("POST", "/v1/documents?name=" + String(repeating: "0", count: 600), body: [0x41]).status == 400)
        // A known path with another method is a 405 that says which methods work.
        let wrongMethod = try daemon.request("DELETE", "/v1/status")
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.headers["allow"] == "GET")
        #expect(try daemon.request("GET", "/v1/nowhere").status == 404)
        let metrics = try daemon.get("/metrics").text
        #expect(metrics.contains("tome_documents{status=\"done\"} 2"))
        #expect(metrics.contains("tome_processing_seconds_count 2"))
    }
}

/// The parts of `tomed` and `tome` that need no running daemon, and the event stream.
@Suite(.serialized) struct CommandLineTests {
    @Test func checkConfigSaysWhereAConfigIsWrong() throws {
        let scratch = Scratch()
        let tomed = productsDirectory + "/tomed"
        let good = scratch.write("good.toml", "[spool]\nsettle_ms = 100\n")
        let ok = try runProcess(tomed, ["check-config", good])
        #expect(ok.status == 0)
        #expect(String(decoding: ok.stdout, as: UTF8.self).contains("ok"))
        let badKey = try runProcess(tomed, ["check-config", scratch.write("key.toml", "[spool]\nsettle = 100\n")])
        #expect(badKey.status == 1)
        #expect(badKey.stderr.contains("spool.settle: unknown key"))
        let badSyntax = try runProcess(tomed, ["check-config", scratch.write("syntax.toml", "[spool]\nsettle_ms = = 1\n")])
        #expect(badSyntax.status == 1)
        #expect(badSyntax.stderr.contains("line 2"))
        let missing = try runProcess(tomed, ["--config", scratch.file("absent.toml")])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("cannot read the config file"))
    }

    @Test func watchStreamsEventsAsNDJSON() throws {
        let daemon = DaemonFixture()
        try daemon.start()
        let watch = Process()
        watch.executableURL = URL(fileURLWithPath: daemon.tome)
        watch.arguments = ["watch", "--json", "--socket", daemon.socket]
        let out = Pipe()
        watch.standardOutput = out
        try watch.run()
        defer { if watch.isRunning { watch.terminate() } }
        // The stream is open once the daemon counts the watcher's connection; give it a moment.
        usleep(500_000)
        daemon.scratch.write("spool/streamed.txt", "Streamed to the watcher.\n")
        var events: [[String: Any]] = []
        var pending = Data()
        // Non-blocking reads, so a silent stream fails the test instead of hanging it.
        let fd = out.fileHandleForReading.fileDescriptor
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        var buffer = [UInt8](repeating: 0, count: 65536)
        try waitUntil(timeout: 30, "a done event on the stream") {
            let n = read(fd, &buffer, buffer.count)
            if n > 0 { pending.append(contentsOf: buffer[0..<n]) }
            while let newline = pending.firstIndex(of: 0x0A) {
                if let event = try? JSONSerialization.jsonObject(with: pending[pending.startIndex..<newline]) as? [String: Any] { events.append(event) }
                pending.removeSubrange(pending.startIndex...newline)
            }
            return events.contains { $0["event"] as? String == "done" }
        }
        let kinds = events.filter { $0["name"] as? String == "streamed.txt" }.compactMap { $0["event"] as? String }
        #expect(kinds.first == "queued")
        #expect(kinds.last == "done")
        // A graceful stop ends the stream, and with it the client, which says so (exit 1).
        try daemon.stop()
        try waitUntil(timeout: 10, "tome watch ending") { !watch.isRunning }
        #expect(watch.terminationStatus == 1)
    }

    /// `tome text 1 | head`, `tome watch | head -1`: a reader that stops
    /// early ends the CLI at once, quietly (SwiftNIO ignores SIGPIPE, so
    /// without `Output` the first trapped in Foundation and the second never
    /// ended).
    @Test func aReaderThatStopsEarlyEndsTheCLIQuietly() throws {
        let daemon = DaemonFixture()
        try daemon.start()
        let file = daemon.scratch.write("long.txt", String(repeating: "A line of a long document to print.\n", count: 5_000))
        let add = try runProcess(daemon.tome, ["add", "--wait", "--socket", daemon.socket, file])
        #expect(add.status == 0, "\(add.stderr)")
        // (`watch --json` writes no first line: on a quiet daemon it notices at the next heartbeat, every 5 s.)
        for arguments in [["text", "1"], ["watch"], ["watch", "--json"]] {
            let tome = Process()
            tome.executableURL = URL(fileURLWithPath: daemon.tome)
            tome.arguments = arguments + ["--socket", daemon.socket]
            let out = Pipe(), err = Pipe()
            tome.standardOutput = out
            tome.standardError = err
            try tome.run()
            defer { if tome.isRunning { tome.terminate() } }
            // Nobody reads its output any more: its first write finds the pipe closed.
            try out.fileHandleForReading.close()
            try waitUntil(timeout: 30, "tome \(arguments[0]) ending") { !tome.isRunning }
            #expect(tome.terminationReason == .exit && tome.terminationStatus == 0, "tome \(arguments[0])")
            #expect(String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) == "", "tome \(arguments[0])")
        }
    }
}
