import Foundation

/// The scripted OpenAI-compatible chat server
/// (`Tests/TomeLLMTests/Scripts/scripted_chat_server.py`) as a child
/// process on a free TCP port: `baseURL("cut")` is a server that cuts its
/// stream, `baseURL("ok")` one that answers. Killed when released.
public final class ScriptedChatServer {
    public let port: Int
    private let process: Process
    private let lastFile: String

    /// On `port`, or a free one (0).
    public init(port: Int = 0) throws {
        lastFile = NSTemporaryDirectory() + "/tome-scripted-\(getpid())-\(UUID().uuidString).json"
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("TomeLLMTests/Scripts/scripted_chat_server.py").path
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, lastFile] + (port == 0 ? [] : [String(port)])
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        // The first line is the port.
        var line = Data()
        while !line.contains(0x0A) {
            let byte = out.fileHandleForReading.readData(ofLength: 1)
            guard !byte.isEmpty else { break }
            line.append(byte)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            process.terminate()
            throw NSError(domain: "ScriptedChatServer", code: 1, userInfo: [NSLocalizedDescriptionKey: "the scripted server did not say its port"])
        }
        self.port = port
    }

    /// The base URL of the server running `script`.
    public func baseURL(_ script: String) -> String { "http://127.0.0.1:\(port)/\(script)/v1" }

    /// The last chat request the server got: `body` (the JSON sent) and `authorization`.
    public func lastRequest() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: lastFile))
        return (try JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }

    deinit {
        // Not waitUntilExit: it spins the calling thread's run loop, which an
        // async test's thread does not run; Foundation reaps the child itself.
        kill(process.processIdentifier, SIGKILL)
        try? FileManager.default.removeItem(atPath: lastFile)
    }
}
