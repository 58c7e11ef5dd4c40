import Foundation
import Glibc

/// llama.cpp's OpenAI-compatible server (`python -m llama_cpp.server`, from
/// the venv `make llm` builds) serving the small model `make llm` fetches,
/// as a child process on a free port. `make test` and `make test-llm` say
/// where both are (`TOME_LLM_PYTHON`, `TOME_LLM_GGUF`); without them the
/// tests that need it are not run (`available`).
public final class LocalChatServer {
    public static let python = ProcessInfo.processInfo.environment["TOME_LLM_PYTHON"] ?? ""
    public static let gguf = ProcessInfo.processInfo.environment["TOME_LLM_GGUF"] ?? ""
    public static var available: Bool { !python.isEmpty && !gguf.isEmpty }

    public let port: Int
    private let process: Process
    public var baseURL: String { "http://127.0.0.1:\(port)/v1" }

    public init(contextTokens: Int = 4096) throws {
        port = try Self.freePort()
        process = Process()
        process.executableURL = URL(fileURLWithPath: Self.python)
        process.arguments = ["-m", "llama_cpp.server", "--model", Self.gguf, "--host", "127.0.0.1", "--port", String(port),
                             "--n_ctx", String(contextTokens), "--n_threads", "2", "--seed", "0"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        try waitUntil(timeout: 120, "llama.cpp's server answering on port \(port)") { Self.answers(port: port) }
    }

    /// Stops the server (SIGKILL), as a model that goes away does.
    public func stop() {
        kill(process.processIdentifier, SIGKILL)
    }

    deinit { stop() }

    /// A TCP port nobody listens on now.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        guard bound == 0, withUnsafeMutablePointer(to: &address, { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }) == 0 else {
            throw NSError(domain: "LocalChatServer", code: Int(errno))
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Whether something accepts connections on the port (the server binds once the model is loaded).
    static func answers(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } } == 0
    }
}
