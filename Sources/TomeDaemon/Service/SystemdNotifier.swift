import Foundation
import Glibc
import Logging
import ServiceLifecycle

/// sd_notify without libsystemd: one datagram per message to
/// `$NOTIFY_SOCKET` (a path, or an abstract name starting with `@`).
/// Without the variable (not started by systemd) every call does nothing.
struct SystemdNotifier: Sendable {
    let socketPath: String?

    init(environment: [String: String] = ProcessEnvironment.current) {
        socketPath = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
    }

    @discardableResult
    func notify(_ message: String) -> Bool {
        guard let socketPath else { return false }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var path = Array(socketPath.utf8)
        if path.first == UInt8(ascii: "@") { path[0] = 0 }  // abstract namespace
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in path.enumerated() { raw[i] = byte }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + path.count)
        let sent = message.utf8CString.withUnsafeBufferPointer { text in
            withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, text.baseAddress, text.count - 1, Int32(MSG_NOSIGNAL), $0, length)
                }
            }
        }
        return sent >= 0
    }
}

/// Keeps systemd informed while the daemon runs: `STATUS=` with the queue,
/// `WATCHDOG=1` every half `WATCHDOG_USEC` when the unit sets `WatchdogSec=`
/// — but only when the daemon answers its own `GET /v1/health` on its
/// socket, so a daemon whose API is stuck is restarted rather than kept
/// alive by a timer — a heartbeat line to every event stream, and
/// `STOPPING=1` when a graceful stop begins (which also ends the event
/// streams, so open `GET /v1/events` clients do not hold the stop up).
struct SystemdHeartbeat: Service {
    let notifier: SystemdNotifier
    let status: @Sendable () -> String
    let events: EventHub
    let probe: HealthProbe
    let interval: Duration

    init(notifier: SystemdNotifier, events: EventHub, probe: HealthProbe, environment: [String: String] = ProcessEnvironment.current,
         status: @escaping @Sendable () -> String) {
        self.notifier = notifier
        self.events = events
        self.probe = probe
        self.status = status
        let watchdog = environment["WATCHDOG_USEC"].flatMap(Int64.init)
        let ownPID = environment["WATCHDOG_PID"].flatMap(Int32.init).map { $0 == getpid() } ?? true
        if let watchdog, watchdog > 0, ownPID {
            interval = .microseconds(watchdog / 2)
        } else {
            interval = .seconds(5)
        }
        watchdogEnabled = watchdog.map { $0 > 0 && ownPID } ?? false
    }

    let watchdogEnabled: Bool

    func run() async throws {
        while !Task.isCancelledOrShuttingDown {
            events.heartbeat()
            let alive = watchdogEnabled ? await probe.answers() : false
            notifier.notify((alive ? "WATCHDOG=1\n" : "") + "STATUS=\(status())")
            let interval = self.interval
            await cancelWhenGracefulShutdown { try? await Task.sleep(for: interval) }
        }
        notifier.notify("STOPPING=1")
        events.finishAll()
    }
}

/// `GET /v1/health` on the daemon's own socket, within a deadline: the proof
/// of life the watchdog is fed with (the accept loop, the router and a
/// request thread all had to work for it).
struct HealthProbe: Sendable {
    let socket: String
    var timeoutSeconds: Int = 5

    /// True when the daemon answered 200 in time. Runs on a thread of its own
    /// (the calls block), so a starved request pool cannot fake an answer.
    func answers() async -> Bool {
        let (socket, timeout) = (self.socket, timeoutSeconds)
        return await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: Self.get(socket: socket, timeout: timeout)) }.start()
        }
    }

    static func get(socket path: String, timeout: Int) -> Bool {
        let fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var limit = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, b) in bytes.enumerated() { raw[i] = b } }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else { return false }
        let request = Array("GET /v1/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else { return false }
        var response = [UInt8](repeating: 0, count: 64)
        let n = response.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        // 200, or 503 "degraded" (a full disk): either way the daemon answered.
        return n >= 12 && ["HTTP/1.1 200", "HTTP/1.1 503"].contains(String(decoding: response[0..<12], as: UTF8.self))
    }
}
