import AsyncHTTPClient
import Foundation
import Glibc
import NIOCore
import NIOHTTP1
import Synchronization
import TomeAPI

/// Talks to `tomed` over its Unix socket (`http+unix://`), turning its JSON
/// errors and connection failures into one clear line each.
struct Client {
    let socket: String

    /// The socket from `--socket`, else `$TOME_SOCKET`, else `/run/tome/tome.sock`.
    static func socketPath(option: String?) -> String {
        option ?? ProcessInfo.processInfo.environment["TOME_SOCKET"].flatMap { $0.isEmpty ? nil : $0 } ?? "/run/tome/tome.sock"
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        /// The API's error code, when the daemon answered.
        var code: ErrorCode? = nil
        var id: Int64? = nil

        /// `path` could not be read, and the system's reason (`code`, an errno).
        static func cannotRead(_ path: String, _ code: Int32) -> Failure {
            Failure(description: "cannot read \(path): \(reason(code))")
        }

        /// What the system says of errno `code`, as the rest of a sentence.
        static func reason(_ code: Int32) -> String { String(cString: strerror(code)).lowercased() }
    }

    func url(_ path: String) -> String {
        let encoded = socket.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? socket
        return "http+unix://\(encoded)\(path)"
    }

    /// Sends a request and returns status and body (the whole body, up to `limit`).
    func send(_ method: HTTPMethod, _ path: String, body: HTTPClientRequest.Body? = nil, limit: Int = 1 << 30) async throws -> (status: Int, body: Data) {
        try probe()
        var request = HTTPClientRequest(url: url(path))
        request.method = method
        if let body { request.body = body }
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.shared.execute(request, timeout: .seconds(600))
        } catch let failure as Failure {
            throw failure  // the body's own (a file that could not be read)
        } catch {
            throw unreachable(error)
        }
        let buffer = try await response.body.collect(upTo: limit)
        return (Int(response.status.code), Data(buffer.readableBytesView))
    }

    /// Why the daemon could not be reached, in words: the socket's path, and
    /// what the system said of it.
    func unreachable(_ error: Error) -> Failure {
        unreachable(code: (error as? IOError)?.errnoCode, otherwise: "\(error)")
    }

    func unreachable(code: Int32?, otherwise: String) -> Failure {
        let hint = "is tomed running? set --socket or TOME_SOCKET"
        let reason: String
        switch code {
        case ENOENT: reason = "no socket there (\(hint))"
        case ECONNREFUSED: reason = "nothing is listening on it (\(hint))"
        case EACCES: reason = "permission denied (members of the socket's group may use it)"
        default: reason = "\(otherwise) (\(hint))"
        }
        return Failure(description: "cannot reach tomed at \(socket): \(reason)")
    }

    /// The sockets this process has reached: each is probed once, not before every request (`tome add --wait` polls).
    private static let reached = Mutex<Set<String>>([])

    /// Connects to the socket once and closes it, so that a daemon that is
    /// not there is said at once: AsyncHTTPClient tries a socket that is
    /// missing or refuses again and again until its connect timeout, 90 s.
    func probe() throws {
        guard !Self.reached.withLock({ $0.contains(socket) }) else { return }
        let descriptor = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return }  // the request will say what is wrong
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let path = Array(socket.utf8)
        guard path.count < MemoryLayout.size(ofValue: address.sun_path) else { return }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path) }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if connected != 0 {
            let code = errno
            throw unreachable(code: code, otherwise: Failure.reason(code))
        }
        Self.reached.withLock { _ = $0.insert(socket) }
    }

    /// Sends a request expecting JSON `T`; an error status becomes a `Failure`
    /// with the daemon's message.
    func json<T: Decodable>(_ type: T.Type, _ method: HTTPMethod, _ path: String, body: HTTPClientRequest.Body? = nil) async throws -> T {
        let (status, data) = try await send(method, path, body: body)
        try Self.check(status: status, data: data)
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw Failure(description: "unexpected answer from tomed (\(status)): \(String(decoding: data.prefix(200), as: UTF8.self))")
        }
    }

    static func check(status: Int, data: Data) throws {
        guard status >= 400 else { return }
        if let error = try? JSONDecoder().decode(ErrorResponse.self, from: data) {
            throw Failure(description: error.error.message, code: error.error.code, id: error.id)
        }
        throw Failure(description: "tomed answered \(status)")
    }

    /// The lines of a streaming response (`GET /v1/events`, a written answer), as they arrive.
    func lines(_ path: String, method: HTTPMethod = .GET, body: HTTPClientRequest.Body? = nil) async throws -> AsyncThrowingStream<String, Error> {
        try probe()
        var request = HTTPClientRequest(url: url(path))
        request.method = method
        if let body { request.body = body }
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.shared.execute(request, timeout: .hours(24 * 365))
        } catch {
            throw unreachable(error)
        }
        if response.status.code >= 400 {
            try Self.check(status: Int(response.status.code), data: Data(try await response.body.collect(upTo: 1 << 20).readableBytesView))
        }
        return AsyncThrowingStream { continuation in
            let task = Task {
                var pending: [UInt8] = []
                do {
                    for try await chunk in response.body {
                        pending.append(contentsOf: chunk.readableBytesView)
                        while let newline = pending.firstIndex(of: 0x0A) {
                            continuation.yield(String(decoding: pending[..<newline], as: UTF8.self))
                            pending.removeSubrange(...newline)
                        }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

/// A file's bytes as a request body, read a chunk at a time while it is
/// sent: an upload takes a chunk of memory, not the file's size (reading it
/// whole took 950 MB for a 300 MB file).
///
/// `size`: the length the request announced (a regular file's, when it was
/// checked); exactly that much is sent, and a file that got shorter since is
/// an error that says so. nil: a pipe, sent to its end.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    static let chunk = 1 << 20
    let path: String
    let size: Int?

    func makeAsyncIterator() -> Iterator { Iterator(path: path, size: size) }

    /// Owns the open file; closes it at the end, on an error, or when the upload is dropped.
    final class Iterator: AsyncIteratorProtocol {
        let path: String
        var descriptor: Int32
        let openError: Int32
        /// Bytes still to send, when the length was announced.
        var left: Int?

        init(path: String, size: Int?) {
            self.path = path
            left = size
            descriptor = open(path, O_RDONLY | O_CLOEXEC)
            openError = descriptor < 0 ? errno : 0
        }

        deinit { finish() }

        func finish() {
            if descriptor >= 0 { close(descriptor) }
            descriptor = -2
        }

        func next() async throws -> ByteBuffer? {
            guard descriptor != -2, left != 0 else { finish(); return nil }
            guard descriptor >= 0 else { throw failure(.cannotRead(path, openError)) }
            let want = Swift.min(FileChunks.chunk, left ?? FileChunks.chunk)
            var buffer = ByteBufferAllocator().buffer(capacity: want)
            var error: Int32 = 0
            let fd = descriptor
            _ = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: want) { raw in
                while true {
                    let n = read(fd, raw.baseAddress, want)
                    if n >= 0 { return n }
                    if errno != EINTR { error = errno; return 0 }
                }
            }
            if error != 0 { throw failure(.cannotRead(path, error)) }
            guard buffer.readableBytes > 0 else {
                if left != nil { throw failure(Client.Failure(description: "\(path) got shorter while it was sent; add it again once it is written")) }
                finish()
                return nil
            }
            left = left.map { $0 - buffer.readableBytes }
            return buffer
        }

        /// Closes the file and hands `error` back to be thrown.
        private func failure(_ error: Client.Failure) -> Client.Failure {
            finish()
            return error
        }
    }
}
