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
/// `WATCHDOG=1` every half `WATCHDOG_USEC` when the unit sets `WatchdogSec=`,
/// and `STOPPING=1` when a graceful stop begins (which also ends the event
/// streams, so open `GET /v1/events` clients do not hold the stop up).
struct SystemdHeartbeat: Service {
    let notifier: SystemdNotifier
    let status: @Sendable () -> String
    let events: EventHub
    let interval: Duration

    init(notifier: SystemdNotifier, events: EventHub, environment: [String: String] = ProcessEnvironment.current, status: @escaping @Sendable () -> String) {
        self.notifier = notifier
        self.events = events
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
            notifier.notify((watchdogEnabled ? "WATCHDOG=1\n" : "") + "STATUS=\(status())")
            let interval = self.interval
            await cancelWhenGracefulShutdown { try? await Task.sleep(for: interval) }
        }
        notifier.notify("STOPPING=1")
        events.finishAll()
    }
}
