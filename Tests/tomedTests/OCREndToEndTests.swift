import Foundation
import Glibc
import Testing
import TomeTestSupport

/// Scans through the real daemon: dropped into the spool, read by OCR in the
/// extraction child, stored, summarised, extracted and asked like any
/// document, citing their pages.
@Suite(.serialized) struct OCREndToEndTests {
    /// Renames `write`'s file into the spool, as a scanner's software would.
    static func drop(_ daemon: DaemonFixture, _ name: String, _ write: (String) -> Void) {
        let part = daemon.spool + "/." + (name as NSString).lastPathComponent + ".part"
        write(part)
        rename(part, daemon.spool + "/" + name)
    }

    @Test func aScannedPDFIsAnsweredWithItsPage() throws {
        let daemon = DaemonFixture()
        try daemon.start()
        let watch = Process()
        watch.executableURL = URL(fileURLWithPath: daemon.tome)
        watch.arguments = ["watch", "--json", "--socket", daemon.socket]
        let out = Pipe()
        watch.standardOutput = out
        try watch.run()
        defer { if watch.isRunning { watch.terminate() } }
        usleep(500_000)
        Self.drop(daemon, "scan.pdf") { path in
            ScanWriter.pdf([
                .scan(ScannedPage(["The harbour office keeps the tide tables of the estuary.", "Every vessel reports its cargo on arrival."])),
                .scan(ScannedPage(["The pilot Idris Maalouf boards the tanker Sea Lantern at dawn.", "He signs the cargo ledger at the quay."])),
            ], to: path)
        }
        let document = try #require(try daemon.waitForSettled(count: 1, timeout: 180).first)
        #expect(document["status"] as? String == "done", "\(document) \(daemon.log)")
        let id = try #require(document["id"] as? Int)
        let info = try daemon.get("/v1/documents/\(id)").json
        let ocr = try #require(info["ocr"] as? [[String: Any]], "\(info)")
        #expect(ocr.compactMap { $0["page"] as? Int } == [1, 2])
        #expect(ocr.allSatisfy { ($0["confidence"] as? Int ?? 0) >= 70 && $0["flagged"] as? Bool == false })
        let answer = try daemon.request("POST", "/v1/documents/\(id)/ask", body: Array(#"{"question": "Who boards the tanker Sea Lantern?", "k": 1}"#.utf8))
        let first = try #require((answer.json["answers"] as? [[String: Any]])?.first, "\(answer.text)")
        #expect(first["page"] as? Int == 2)
        #expect((first["text"] as? String)?.contains("Maalouf") == true)
        let show = try runProcess(daemon.tome, ["show", "--socket", daemon.socket, String(id)])
        #expect(String(decoding: show.stdout, as: UTF8.self).contains("2 pages read by OCR"))
        // OCR's progress reached the event stream, page by page.
        let fd = out.fileHandleForReading.fileDescriptor
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        let n = read(fd, &buffer, buffer.count)
        let stream = n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : ""
        #expect(stream.contains(#""stage":"ocr""#), "\(stream)")
    }

    /// A receipt photographed as a PNG: its amount and its date found by the experts.
    @Test func aReceiptImageGivesItsTotalAndDate() throws {
        let daemon = DaemonFixture()
        try daemon.start()
        Self.drop(daemon, "receipt.png") { path in
            ScanWriter.png(ScannedPage(["CORNER SHOP", "Receipt 4711, 12 March 2024", "Two coffees: £5.60", "One sandwich: £6.80",
                                        "Total paid: £12.40"], fontSize: 14), to: path)
        }
        let document = try #require(try daemon.waitForSettled(count: 1, timeout: 180).first)
        #expect(document["type"] as? String == "image", "\(document)")
        let id = try #require(document["id"] as? Int)
        let amounts = (try daemon.get("/v1/documents/\(id)/extractions?kind=amounts").json["amounts"] as? [[String: Any]]) ?? []
        #expect(amounts.contains { $0["number"] as? Double == 12.4 && $0["currency"] as? String == "GBP" }, "\(amounts)")
        let dates = (try daemon.get("/v1/documents/\(id)/extractions?kind=dates").json["dates"] as? [[String: Any]]) ?? []
        #expect(dates.contains { $0["value"] as? String == "2024-03-12" }, "\(dates)")
    }

    /// A pipeline may read no scans: its scanned PDFs fail as empty, saying why; a pipeline naming a
    /// language whose model is not installed is refused with the package to install.
    @Test func aPipelineSaysWhetherAndInWhichLanguagesItReadsScans() throws {
        let daemon = DaemonFixture()
        daemon.scratch.write("pipelines/typed.toml", "ocr = \"never\"\n")
        daemon.scratch.write("pipelines/klingon.toml", "ocr_languages = [\"tlh\"]\n")
        try daemon.start()
        try FileManager.default.createDirectory(atPath: daemon.spool + "/typed", withIntermediateDirectories: true)
        Self.drop(daemon, "typed/scan.pdf") { ScanWriter.pdf([.scan(ScannedPage(["A scanned letter."]))], to: $0) }
        let document = try #require(try daemon.waitForSettled(count: 1, timeout: 120).first)
        let error = try #require(document["error"] as? [String: Any], "\(document)")
        #expect(error["code"] as? String == "empty")
        #expect((error["message"] as? String)?.contains("ocr = \"never\"") == true)
        let check = try runProcess(daemon.tomed, ["check-config", daemon.configPath])
        #expect(check.status == 1)
        #expect(check.stderr.contains("ocr_languages") && check.stderr.contains("tesseract-ocr-tlh"), "\(check.stderr)")
    }
}
