import Foundation
import Glibc

/// The CLI's standard output and error: every line written at once with
/// write(2), and a reader that stops early ending the CLI quietly.
///
/// SwiftNIO ignores SIGPIPE for the whole process, so a closed pipe does not
/// end `tome` the way it ends `cat`: stdio's `print` fails silently and goes
/// on (`tome watch | head -1` would never end) and Foundation's
/// `FileHandle.write` traps (`tome text 4 | head` crashed). Here a write to
/// a standard output nobody reads any more exits at once with status 0: the
/// reader has what it wanted. Unbuffered, so `tome watch | grep` sees each
/// event as it happens.
enum Output {
    /// Writes `text` and a newline to standard output.
    static func line(_ text: String) {
        write(text + "\n", to: STDOUT_FILENO)
    }

    /// Writes `text` as it is to standard output.
    static func text(_ text: String) {
        write(text, to: STDOUT_FILENO)
    }

    /// Writes `bytes` as they are to standard output.
    static func bytes(_ bytes: Data) {
        write(bytes, to: STDOUT_FILENO)
    }

    /// Exits 0, as a write would, when standard output is a pipe nobody
    /// reads any more (a watch on a quiet daemon writes nothing to find out).
    static func endIfNobodyReads() {
        var state = pollfd(fd: STDOUT_FILENO, events: 0, revents: 0)
        if poll(&state, 1, 0) > 0, state.revents & Int16(POLLERR) != 0 { exit(0) }
    }

    /// Writes `text` to standard error (a failure there has nowhere to be reported).
    static func error(_ text: String) {
        write(text, to: STDERR_FILENO)
    }

    private static func write(_ text: String, to descriptor: Int32) {
        var text = text
        text.withUTF8 { write(UnsafeRawBufferPointer($0), to: descriptor) }
    }

    private static func write(_ data: Data, to descriptor: Int32) {
        data.withUnsafeBytes { write($0, to: descriptor) }
    }

    private static func write(_ buffer: UnsafeRawBufferPointer, to descriptor: Int32) {
        guard let base = buffer.baseAddress else { return }
        var offset = 0
        while offset < buffer.count {
            let n = Glibc.write(descriptor, base + offset, buffer.count - offset)
            if n >= 0 {
                offset += n
            } else if errno == EINTR {
                continue
            } else if errno == EAGAIN {
                var ready = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
                _ = poll(&ready, 1, -1)  // a non-blocking output: wait until it takes more
            } else if errno == EPIPE && descriptor == STDOUT_FILENO {
                exit(0)
            } else {
                return
            }
        }
    }
}
