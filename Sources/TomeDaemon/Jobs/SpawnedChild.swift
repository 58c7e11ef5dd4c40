import CTomeSystem
import Glibc

/// A child process started with `posix_spawn`, in a process group of its own,
/// with `input` on its stdin (then end of file), stdout and stderr on pipes
/// the parent reads, and no other descriptor of the parent's.
struct SpawnedChild {
    struct SpawnError: Error, CustomStringConvertible {
        var call: String
        var code: Int32
        var description: String { "\(call): \(String(cString: strerror(code)))" }
    }

    let pid: pid_t
    /// Read ends of stdout (index 0) and stderr (index 1); -1 once closed.
    private var fds: [Int32]

    init(executable: String, arguments: [String], environment: [String: String], input: [UInt8] = []) throws {
        var inPipe: [Int32] = [-1, -1], outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        guard pipe(&inPipe) == 0 else { throw SpawnError(call: "pipe", code: errno) }
        guard pipe(&outPipe) == 0 else {
            let code = errno
            close(inPipe[0]); close(inPipe[1])
            throw SpawnError(call: "pipe", code: code)
        }
        guard pipe(&errPipe) == 0 else {
            let code = errno
            for fd in inPipe + outPipe { close(fd) }
            throw SpawnError(call: "pipe", code: code)
        }
        // pipe2(O_CLOEXEC) is hidden behind _GNU_SOURCE; close-on-exec keeps these
        // ends out of other children (the child gets its own copies through dup2).
        for fd in inPipe + outPipe + errPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        defer { close(inPipe[0]); close(outPipe[1]); close(errPipe[1]) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        // Only 0, 1 and 2: the daemon's listening socket, its epoll and event
        // descriptors (some opened without close-on-exec by the libraries) must
        // not outlive it in a child — a child left running after a kill -9
        // would hold the socket, and clients would hang on it.
        let closing = tome_spawn_close_from(&actions, 3)
        guard closing == 0 else {
            close(inPipe[1]); close(outPipe[0]); close(errPipe[0])
            throw SpawnError(call: "posix_spawn_file_actions_addclosefrom_np", code: closing)
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Own process group (so a timeout kills every process the child made),
        // no blocked signals, and default handlers for all: the daemon ignores
        // some signals that the child must not inherit ignored.
        var empty = sigset_t(), all = sigset_t()
        sigemptyset(&empty)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var env = ProcessEnvironment.current
        for (key, value) in environment { env[key] = value }
        let argv = [executable] + arguments
        var pid: pid_t = 0
        let result = withCStrings(argv) { cArgv in
            withCStrings(env.map { "\($0.key)=\($0.value)" }.sorted()) { cEnv in
                posix_spawn(&pid, executable, &actions, &attributes, cArgv, cEnv)
            }
        }
        guard result == 0 else {
            close(inPipe[1]); close(outPipe[0]); close(errPipe[0])
            throw SpawnError(call: "posix_spawn \(executable)", code: result)
        }
        // The input is small (a request): written whole, then closed, before the outputs are read.
        // A child that dies first makes the write fail (EPIPE; SIGPIPE is ignored), which is its own report.
        input.withUnsafeBytes { bytes in
            var written = 0
            while written < bytes.count {
                let n = write(inPipe[1], bytes.baseAddress.map { $0 + written }, bytes.count - written)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { break }
                written += n
            }
        }
        close(inPipe[1])
        self.pid = pid
        fds = [outPipe[0], errPipe[0]]
        for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
    }

    var hasOpenPipes: Bool { fds.contains { $0 >= 0 } }

    /// Waits up to `timeoutMs` for output and hands each chunk to `sink`
    /// (1 for stdout, 2 for stderr); closes a pipe at end of file.
    mutating func poll(timeoutMs: Int32, sink: (Int, ArraySlice<UInt8>) -> Void) {
        var polls = fds.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        let ready = Glibc.poll(&polls, nfds_t(polls.count), timeoutMs)
        guard ready > 0 else { return }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        for (index, entry) in polls.enumerated() where entry.fd >= 0 && entry.revents != 0 {
            while true {
                let n = buffer.withUnsafeMutableBytes { read(entry.fd, $0.baseAddress, $0.count) }
                if n > 0 {
                    sink(index + 1, buffer[0..<n])
                    continue
                }
                if n < 0 && (errno == EAGAIN || errno == EINTR) { break }
                close(entry.fd)  // end of file, or an error that ends the stream
                fds[index] = -1
                break
            }
        }
    }

    /// SIGKILL to the child's whole process group (and the child itself, in
    /// case it has not reached its group yet).
    func killGroup() { Self.killGroup(pid) }

    static func killGroup(_ pid: pid_t) {
        kill(-pid, SIGKILL)
        kill(pid, SIGKILL)
    }

    /// Reaps the child; returns its wait status.
    mutating func wait() -> Int32 {
        for index in fds.indices where fds[index] >= 0 {
            close(fds[index])
            fds[index] = -1
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return status
    }
}

/// `<sys/wait.h>`'s status macros, which Swift does not import.
func WIFSIGNALED(_ status: Int32) -> Bool { (status & 0x7F) != 0 && (status & 0x7F) != 0x7F }
func WTERMSIG(_ status: Int32) -> Int32 { status & 0x7F }
func WEXITSTATUS(_ status: Int32) -> Int32 { (status >> 8) & 0xFF }

/// The daemon's environment as a dictionary.
enum ProcessEnvironment {
    static var current: [String: String] {
        var result: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let string = String(cString: entry)
            if let eq = string.firstIndex(of: "=") {
                result[String(string[..<eq])] = String(string[string.index(after: eq)...])
            }
            pointer += 1
        }
        return result
    }
}

/// Calls `body` with a NULL-terminated C array of the strings.
func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for pointer in pointers { free(pointer) } }
    return body(pointers)
}
