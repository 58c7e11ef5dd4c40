import Foundation
import Testing
import TomeTestSupport

/// The semantic head through the real daemon: with the model `make model`
/// installs, a question in other words finds its sentence and every ask says
/// meaning was used; without it the daemon asks by words and says why.
@Suite(.serialized) struct MeaningEndToEndTests {
    static let modelDirectory: String = {
        if let dir = ProcessInfo.processInfo.environment["TOME_MODEL_DIR"] { return dir }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("var/models/all-MiniLM-L6-v2").path
    }()

    /// Everyday English sentences, then one fact among them.
    static func story() -> String {
        let subjects = ["The committee", "Our neighbour", "The teacher", "The council", "Every driver", "The baker"]
        let verbs = ["painted", "discussed", "repaired", "praised", "visited", "cleaned"]
        let objects = ["the school garden", "a red bicycle", "the village hall", "the old clock tower", "a birthday cake", "the tennis court"]
        var sentences = (0..<400).map { n -> String in
            let i = n &* 7 &+ 3
            return "\(subjects[i % subjects.count]) \(verbs[(i / 3) % verbs.count]) \(objects[(i / 5) % objects.count]) on day \(n % 28 + 1)."
        }
        sentences.insert("The warehouse in Vandorel had lost eleven pallets of copper wire to theft.", at: 233)
        return sentences.joined(separator: " ")
    }

    @Test func aQuestionInOtherWordsIsAnsweredByMeaning() throws {
        #expect(FileManager.default.fileExists(atPath: Self.modelDirectory + "/static-vectors.bin"), "run `make model` (make test does)")
        let daemon = DaemonFixture(config: "[engine]\nmodel_dir = \"\(Self.modelDirectory)\"")
        try daemon.start()
        let status = try daemon.get("/v1/status").json
        let meaning = try #require(status["meaning"] as? [String: Any])
        #expect(meaning["available"] as? Bool == true && meaning["model"] as? String == "all-MiniLM-L6-v2", "\(meaning)")
        let cli = try runProcess(daemon.tome, ["status", "--socket", daemon.socket])
        let statusText = String(decoding: cli.stdout, as: UTF8.self)
        #expect(statusText.contains("ask: by words and meaning (all-MiniLM-L6-v2") && statusText.contains("ask --deep"), "\(statusText)")

        daemon.scratch.write("spool/story.txt", Self.story())
        let id = try #require(try daemon.waitForSettled(count: 1).first?["id"] as? Int)
        let ask = try daemon.request("POST", "/v1/documents/\(id)/ask",
                                     body: Array(#"{"question": "Which storage site was missing stolen metal cabling?", "k": 3}"#.utf8))
        #expect(ask.status == 200, "\(ask.text)")
        let answers = ask.json["answers"] as? [[String: Any]] ?? []
        let stats = ask.json["stats"] as? [String: Any] ?? [:]
        #expect((answers.first?["text"] as? String)?.contains("Vandorel") == true, "\(ask.text)")
        #expect(stats["meaning"] as? Bool == true && stats["exact"] as? Bool == true)
        let printed = try runProcess(daemon.tome, ["ask", String(id), "Which storage site was missing stolen metal cabling?", "--socket", daemon.socket])
        let text = String(decoding: printed.stdout, as: UTF8.self)
        #expect(text.contains("Vandorel") && text.contains("words and meaning"), "\(text)")

        // Deep: the encoder, read at the first deep ask, reorders the best answers; the ask says so.
        #expect(meaning["deep"] as? Bool == true, "\(meaning)")
        // Ten sentences through six layers in a debug build, on a loaded machine: minutes, not seconds (no time is asserted).
        let deep = try UnixHTTP.request(socket: daemon.socket, "POST", "/v1/documents/\(id)/ask",
                                        body: Array(#"{"question": "Which storage site was missing stolen metal cabling?", "k": 2, "deep": true}"#.utf8),
                                        timeout: 900)
        #expect(deep.status == 200, "\(deep.text)")
        let deepAnswers = deep.json["answers"] as? [[String: Any]] ?? []
        #expect(deepAnswers.count == 2 && (deepAnswers.first?["text"] as? String)?.contains("Vandorel") == true, "\(deep.text)")
        #expect((deep.json["stats"] as? [String: Any])?["deep"] as? Bool == true)
        #expect((stats["deep"] as? Bool) == false)
        let deepPrinted = String(decoding: try runProcess(daemon.tome, ["ask", String(id), "Who repaired the red bicycle?", "--deep", "-k", "1",
                                                                         "--socket", daemon.socket]).stdout, as: UTF8.self)
        #expect(deepPrinted.contains("bicycle") && deepPrinted.contains("read deeply"), "\(deepPrinted)")
    }

    @Test func aDeepAskWithoutTheEncoderIsRefusedAndSaysWhy() throws {
        // The head's files without the encoder's weights: meaning, but no deep reading.
        let scratch = Scratch()
        let folder = scratch.file("model")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for file in ["vocab.txt", "static-vectors.bin"] {
            try FileManager.default.createSymbolicLink(atPath: folder + "/" + file, withDestinationPath: Self.modelDirectory + "/" + file)
        }
        let daemon = DaemonFixture(config: "[engine]\nmodel_dir = \"\(folder)\"")
        try daemon.start()
        let meaning = try #require(try daemon.get("/v1/status").json["meaning"] as? [String: Any])
        #expect(meaning["available"] as? Bool == true && meaning["deep"] as? Bool == false, "\(meaning)")
        daemon.scratch.write("spool/story.txt", Self.story())
        let id = try #require(try daemon.waitForSettled(count: 1).first?["id"] as? Int)
        let deep = try daemon.request("POST", "/v1/documents/\(id)/ask", body: Array(#"{"question": "Who repaired the red bicycle?", "deep": true}"#.utf8))
        let error = deep.json["error"] as? [String: Any]
        #expect(deep.status == 503 && error?["code"] as? String == "deep_unavailable", "\(deep.text)")
        #expect((error?["message"] as? String)?.contains("model.safetensors") == true, "\(deep.text)")
        // The same question without deep is answered.
        let plain = try daemon.request("POST", "/v1/documents/\(id)/ask", body: Array(#"{"question": "Who repaired the red bicycle?"}"#.utf8))
        #expect(plain.status == 200)
    }

    @Test func withoutTheModelTheDaemonAsksByWordsAndSaysWhy() throws {
        let daemon = DaemonFixture(config: "[engine]\nmodel_dir = \"/nonexistent/tome-model\"")
        try daemon.start()
        let meaning = try #require(try daemon.get("/v1/status").json["meaning"] as? [String: Any])
        #expect(meaning["available"] as? Bool == false)
        #expect((meaning["reason"] as? String)?.contains("/nonexistent/tome-model/vocab.txt is missing") == true, "\(meaning)")
        let cli = String(decoding: try runProcess(daemon.tome, ["status", "--socket", daemon.socket]).stdout, as: UTF8.self)
        #expect(cli.contains("ask: by words only"), "\(cli)")

        daemon.scratch.write("spool/story.txt", Self.story())
        let id = try #require(try daemon.waitForSettled(count: 1).first?["id"] as? Int)
        let ask = try daemon.request("POST", "/v1/documents/\(id)/ask", body: Array(#"{"question": "Who repaired the red bicycle?"}"#.utf8))
        #expect(ask.status == 200)
        #expect((ask.json["stats"] as? [String: Any])?["meaning"] as? Bool == false)
        #expect(((ask.json["answers"] as? [[String: Any]])?.first?["text"] as? String)?.contains("bicycle") == true)
    }
}
