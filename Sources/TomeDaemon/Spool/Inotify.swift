import Dispatch
import Foundation
import Glibc
import Synchronization

/// A non-blocking inotify instance watching a tree of directories.
///
/// inotify watches are not recursive: every directory gets its own watch,
/// added as it appears. `inotify_event` imports into Swift without its
/// trailing name, so the buffer is parsed by hand: a 16-byte header (wd,
/// mask, cookie, len), then `len` bytes of NUL-padded name.
final class Inotify {
    struct Event {
        var path: String
        var mask: UInt32
        var isDirectory: Bool { mask & UInt32(IN_ISDIR) != 0 }
    }

    static let fileEvents = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MODIFY | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_DELETE_SELF)

    private let fd: Int32
    private var directories: [Int32: String] = [:]

    init() throws {
        fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { throw SystemError("inotify_init1", errno) }
    }

    deinit { close(fd) }

    /// An alarm that rings `bell` when events are waiting on this instance.
    func alarm(ringing bell: Doorbell) throws -> ReadableAlarm {
        try ReadableAlarm(fd: fd, bell: bell)
    }

    /// Watches `directory` (not its subfolders: the caller adds each).
    func watch(_ directory: String) {
        let wd = inotify_add_watch(fd, directory, Self.fileEvents | UInt32(IN_ONLYDIR))
        if wd >= 0 { directories[wd] = directory }
    }

    /// The events pending now; an `IN_Q_OVERFLOW` comes back as an event with
    /// an empty path, which means "rescan everything".
    func drain() -> [Event] {
        var events: [Event] = []
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { break }
            var offset = 0
            while offset + 16 <= n {
                let (wd, mask, length) = buffer.withUnsafeBytes { raw in
                    (raw.load(fromByteOffset: offset, as: Int32.self),
                     raw.load(fromByteOffset: offset + 4, as: UInt32.self),
                     Int(raw.load(fromByteOffset: offset + 12, as: UInt32.self)))
                }
                let nameBytes = buffer[(offset + 16)..<min(n, offset + 16 + length)].prefix { $0 != 0 }
                offset += 16 + length
                if mask & UInt32(IN_Q_OVERFLOW) != 0 {
                    events.append(Event(path: "", mask: mask))
                    continue
                }
                guard let directory = directories[wd] else { continue }
                if mask & UInt32(IN_IGNORED) != 0 { directories[wd] = nil; continue }
                let name = String(decoding: nameBytes, as: UTF8.self)
                events.append(Event(path: name.isEmpty ? directory : directory + "/" + name, mask: mask))
            }
        }
        return events
    }
}

/// Rings a doorbell when a descriptor has something to read, from a thread
/// of its own blocked in `poll` (the loop that reads it then sleeps until
/// the ring, not on a fixed tick). After each ring it waits for `rearm()` —
/// the loop calls it once it has read what was there — so unread input does
/// not ring again and again. `stop()` ends the thread.
final class ReadableAlarm: Sendable {
    private let stopPipe: (read: Int32, write: Int32)
    private let waitingForRearm = Atomic<Bool>(false)
    private let rearmed = DispatchSemaphore(value: 0)

    convenience init(fd: Int32, bell: Doorbell) throws {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { throw SystemError("pipe", errno) }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        self.init(fd: fd, bell: bell, stopPipe: (ends[0], ends[1]))
    }

    /// Never throws: Swift 6.3.1's optimiser crashes (release builds) on a class
    /// initialiser that throws after its `Atomic` property is set.
    private init(fd: Int32, bell: Doorbell, stopPipe: (read: Int32, write: Int32)) {
        self.stopPipe = stopPipe
        let thread = Thread { [self] in
            var polls = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0), pollfd(fd: stopPipe.read, events: Int16(POLLIN), revents: 0)]
            while true {
                polls[0].revents = 0
                polls[1].revents = 0
                guard Glibc.poll(&polls, 2, -1) >= 0 || errno == EINTR else { break }
                if polls[1].revents != 0 { break }
                guard polls[0].revents != 0 else { continue }
                waitingForRearm.store(true, ordering: .sequentiallyConsistent)
                bell.ring()
                rearmed.wait()
            }
            close(stopPipe.read)
        }
        thread.name = "tome-inotify"
        thread.start()
    }

    /// The loop has read what was waiting: the next input rings again.
    func rearm() {
        if waitingForRearm.compareExchange(expected: true, desired: false, ordering: .sequentiallyConsistent).exchanged { rearmed.signal() }
    }

    func stop() {
        var byte: UInt8 = 1
        _ = write(stopPipe.write, &byte, 1)
        close(stopPipe.write)
        rearm()
    }
}

/// A failed system call, with errno's text.
struct SystemError: Error, CustomStringConvertible {
    var call: String
    var code: Int32
    init(_ call: String, _ code: Int32) {
        self.call = call
        self.code = code
    }
    var description: String { "\(call): \(String(cString: strerror(code)))" }
}

/// Writes every byte to `fd`, again after EINTR and short writes; `name` is for the error.
func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, name: String) throws {
    var written = 0
    while written < bytes.count {
        let n = write(fd, bytes.baseAddress.map { $0 + written }, bytes.count - written)
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { throw SystemError("write \(name)", n < 0 ? errno : EIO) }
        written += n
    }
}
