import Foundation
import Glibc

/// A real `tomed` on a scratch spool, state dir and socket, configured by a
/// TOML snippet, for end-to-end tests. Killed when released.
public final class DaemonFixture {
    public let scratch = Scratch()
    public var spool: String { scratch.file("spool") }
    public var state: String { scratch.file("state") }
    public var socket: String { scratch.file("tome.sock") }
    public var pipelines: String { scratch.file("pipelines") }
    public var configPath: String { scratch.file("tomed.toml") }
    public var logPath: String { scratch.file("tomed.log") }
    public private(set) var process: Process?
    public let tomed = productsDirectory + "/tomed"
    public let tome = productsDirectory + "/tome"

    /// `config` is appended to a base config (fast settling, scans every 0.5 s).
    public init(config: String = "", jobs: String = "workers = 2", spoolSection: String = "") {
        try? FileManager.default.createDirectory(atPath: spool, withIntermediateDirectories: true)
        try? FileManager.default.createDirectory(atPath: pipelines, withIntermediateDirectories: true)
        writeConfig(config: config, jobs: jobs, spoolSection: spoolSection)
    }

    public func writeConfig(config: String = "", jobs: String = "workers = 2", spoolSection: String = "") {
        scratch.write("tomed.toml", """
            state_dir = "\(state)"
            pipelines_dir = "\(pipelines)"
            [spool]
            dir = "\(spool)"
            settle_ms = 200
            scan_interval_s = 0.5
            \(spoolSection)
            [jobs]
            retry_backoff_s = 0.2
            \(jobs)
            [api]
            socket = "\(socket)"
            socket_group = ""
            \(config)
            """)
    }

    deinit {
        if let process, process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// Starts the daemon and waits until it answers `GET /v1/health`.
    public func start(environment: [String: String] = [:]) throws {
        try launch(environment: environment)
        try waitUntil(timeout: 30, "tomed answering on \(socket)") {
            (try? get("/v1/health").status) == 200
        }
    }

    /// Starts the daemon without waiting for it (a test that expects it to die).
    public func launch(environment: [String: String] = [:]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tomed)
        process.arguments = ["--config", configPath]
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        if !FileManager.default.fileExists(atPath: logPath) { _ = FileManager.default.createFile(atPath: logPath, contents: nil) }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        process.standardError = log
        process.standardOutput = log
        try process.run()
        self.process = process
    }

    /// Waits for the daemon to exit by itself; returns how it ended.
    @discardableResult
    public func waitForExit(timeout: Double = 60) throws -> (status: Int32, reason: Process.TerminationReason) {
        guard let process else { return (-1, .exit) }
        try waitUntil(timeout: timeout, "tomed exiting") { !process.isRunning }
        self.process = nil
        return (process.terminationStatus, process.terminationReason)
    }

    /// Sends `signal` and waits for the daemon to exit; returns its exit status.
    @discardableResult
    public func stop(signal: Int32 = SIGTERM, timeout: Double = 30) throws -> Int32 {
        guard let process else { return -1 }
        kill(process.processIdentifier, signal)
        try waitUntil(timeout: timeout, "tomed exiting after signal \(signal)") { !process.isRunning }
        self.process = nil
        return process.terminationStatus
    }

    public var pid: Int32 { process?.processIdentifier ?? 0 }

    public func get(_ target: String) throws -> UnixHTTPResponse {
        try UnixHTTP.request(socket: socket, "GET", target)
    }

    public func request(_ method: String, _ target: String, body: [UInt8] = []) throws -> UnixHTTPResponse {
        try UnixHTTP.request(socket: socket, method, target, body: body)
    }

    /// Every document, by the API (newest first).
    public func documents() throws -> [[String: Any]] {
        (try get("/v1/documents?limit=1000").json["documents"] as? [[String: Any]]) ?? []
    }

    /// Waits until `count` documents exist and none is queued or processing.
    @discardableResult
    public func waitForSettled(count: Int, timeout: Double = 60) throws -> [[String: Any]] {
        var last: [[String: Any]] = []
        try waitUntil(timeout: timeout, "\(count) documents finished") {
            last = (try? documents()) ?? []
            return last.count == count && last.allSatisfy { ["done", "failed"].contains($0["status"] as? String ?? "") }
        }
        return last
    }

    /// Waits until the corpus memory is checked (and rebuilt, when it had to be).
    public func waitForMemoryReady(timeout: Double = 60) throws {
        try waitUntil(timeout: timeout, "the corpus memory ready") {
            ((try? get("/v1/status").json["memory"]) as? [String: Any])?["state"] as? String == "ready"
        }
    }

    public var log: String { String(decoding: scratch.read("tomed.log"), as: UTF8.self) }

    /// Waits for the daemon's extraction child and returns its pid.
    public func waitForChild(timeout: Double = 30) throws -> Int32 {
        var child: Int32 = 0
        try waitUntil(timeout: timeout, "the parser child") {
            child = children(containing: "extract").first ?? 0
            return child != 0
        }
        return child
    }

    /// Child processes of the daemon whose command line contains `marker`.
    public func children(containing marker: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard let stat = FileManager.default.contents(atPath: "/proc/\(pid)/stat").map({ String(decoding: $0, as: UTF8.self) }),
                  let close = stat.lastIndex(of: ")") else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 1, Int32(fields[1]) == self.pid else { return false }
            let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline").map { String(decoding: $0, as: UTF8.self) } ?? ""
            return cmdline.contains(marker)
        }
    }
}

/// Polls `condition` every 50 ms until it holds, or throws after `timeout` seconds.
public func waitUntil(timeout: Double, _ what: String, _ condition: () throws -> Bool) throws {
    let deadline = Date() + timeout
    while Date() < deadline {
        if try condition() { return }
        usleep(50_000)
    }
    throw UnixHTTP.Failure(description: "timed out after \(timeout) s waiting for \(what)")
}
