import Foundation
import TOMLKit
import TomeStore

/// Everything `tomed` can be told, with the defaults that apply when the
/// config file (`/etc/tome/tomed.toml`) is absent. `Config/tomed.toml`
/// documents each key; the names there are the TOML keys shown here.
public struct DaemonConfig: Sendable, Equatable {
    /// Where the database, the corpus files, the lock and (by default) the
    /// archive and failed folders live. `state_dir`. The default is `/var/lib/tome`.
    public var stateDir: String = "/var/lib/tome"
    /// Pipeline definitions (`NAME.toml`): a spool subfolder named after one
    /// selects it. `pipelines_dir`. The default is `/etc/tome/pipelines`.
    public var pipelinesDir: String = "/etc/tome/pipelines"

    /// The watched folder. `[spool] dir`. The default is `/var/lib/tome/spool`.
    public var spoolDir: String = "/var/lib/tome/spool"
    /// How long a file's size and mtime must stay unchanged before it is taken.
    /// `[spool] settle_ms`. The default is 1000.
    public var settleMilliseconds: Int = 1000
    /// The full rescan that backs up inotify (network file systems, missed
    /// events). `[spool] scan_interval_s`. The default is 30.
    public var scanIntervalSeconds: Double = 30
    /// What happens to a file once its results are committed: `archive`,
    /// `delete` or `leave`. `[spool] on_success`. The default is `archive`.
    public var onSuccess: Disposition = .archive
    /// `[spool] archive_dir`. The default is `STATE_DIR/archive`.
    public var archiveDir: String?
    /// Failed files and their `NAME.error` sidecars. `[spool] failed_dir`.
    /// The default is `STATE_DIR/failed`.
    public var failedDir: String?

    /// Documents processed at once. `[jobs] workers`; 0 means one per core.
    /// The default is 0.
    public var workers: Int = 0
    /// The most jobs waiting at once: past it the spool is not read and
    /// uploads get 429 until the queue drains. `[jobs] queue_limit`. The default is 10000.
    public var queueLimit: Int = 10_000
    /// Attempts after the first for transient failures (timeouts, crashes).
    /// `[jobs] retries`. The default is 2.
    public var retries: Int = 2
    /// Wait before the first retry, doubled for each later one.
    /// `[jobs] retry_backoff_s`. The default is 5.
    public var retryBackoffSeconds: Double = 5
    /// Intake and processing pause while the state dir's file system has less
    /// free than this, and resume by themselves when it has it again.
    /// `[jobs] min_free_mb`. The default is 64.
    public var minFreeMB: Int = 64

    /// Wall-clock limit of one extraction. `[extract] timeout_s`. The default is 120.
    public var extractTimeoutSeconds: Double = 120
    /// Address-space limit of the extraction child. `[extract] memory_mb`. The default is 4096.
    public var extractMemoryMB: Int = 4096
    /// The most one page's OCR may take; past it the document fails as
    /// `timeout`, naming the page. `[extract] ocr_page_timeout_s`. The default is 60.
    public var ocrPageTimeoutSeconds: Double = 60
    /// The most pages of one document read by OCR; past it the document
    /// fails as `too_large`. `[extract] ocr_max_pages`. The default is 500.
    public var ocrMaxPages: Int = 500
    /// Largest file accepted (and largest gzip expansion). `[extract] max_bytes`.
    /// The default is 268435456 (256 MiB).
    public var maxBytes: Int = 256 << 20

    /// Memory for documents kept ready for `ask` (their index and text), in
    /// MiB. `[engine] cache_mb`. The default is 512: a dozen million-token documents.
    public var engineCacheMB: Int = 512
    /// The semantic head's model folder (vocab.txt and the static vectors
    /// `make model` distils): asks then match meaning as well as words.
    /// Empty, or a folder without the files: words only (`tome status`
    /// says which). `[engine] model_dir`; read at start.
    public var modelDir: String = "/usr/local/share/tome/models/all-MiniLM-L6-v2"

    /// The control socket. `[api] socket`. The default is `/run/tome/tome.sock`.
    public var socketPath: String = "/run/tome/tome.sock"
    /// `[api] socket_mode`, octal. The default is `0660`.
    public var socketMode: UInt32 = 0o660
    /// The socket's group; empty keeps the daemon's. `[api] socket_group`. The default is `tome`.
    public var socketGroup: String = "tome"
    /// Groups whose members may change things (root always may). `[api] write_groups`. The default is `["tome"]`.
    public var writeGroups: [String] = ["tome"]
    /// Groups whose members may only read. `[api] read_groups`. The default is `[]`.
    public var readGroups: [String] = []
    /// Largest request body (an upload). `[api] max_body_bytes`. The default is `max_bytes`.
    public var maxBodyBytes: Int?
    /// Connections served at once. `[api] max_connections`. The default is 64.
    public var maxConnections: Int = 64
    /// Longest time to read one request. `[api] request_timeout_s`. The default is 30.
    public var requestTimeoutSeconds: Double = 30
    /// Connections one peer user may hold at once (root and the daemon's own
    /// user are exempt). `[api] max_connections_per_peer`. The default is 16.
    public var maxConnectionsPerPeer: Int = 16
    /// Time a client has, after connecting or after an answer, to send a
    /// whole request head. `[api] header_timeout_s`. The default is 5.
    public var headerTimeoutSeconds: Double = 5
    /// `GET /v1/events` streams open at once, in all and per peer user.
    /// `[api] max_event_streams`, `max_event_streams_per_peer`. The defaults are 16 and 4.
    public var maxEventStreams: Int = 16
    public var maxEventStreamsPerPeer: Int = 4

    /// The language model that writes answers from the passages the engine
    /// selects (`[llm]`). Off while `base_url` is empty (the default). Read at start.
    public var llm = LLMConfig()

    /// `[llm]`: an OpenAI-compatible chat server.
    public struct LLMConfig: Sendable, Equatable {
        /// Up to and including `/v1`: `https://api.deepseek.com/v1`,
        /// `http://127.0.0.1:11434/v1` (Ollama). Empty: no model. `[llm] base_url`.
        public var baseURL = ""
        /// The model's name on that server. `[llm] model`.
        public var model = ""
        /// A file holding the API key (its first line), or the environment
        /// variable named by `api_key_env` (default `TOME_LLM_API_KEY`); neither: no key.
        public var apiKeyFile = ""
        public var apiKeyEnv = "TOME_LLM_API_KEY"
        /// `connect_timeout_s` (5), `idle_timeout_s` (the most a stream may stay silent, 30), `timeout_s` (a whole reply, 120).
        public var connectTimeoutSeconds = 5.0
        public var idleTimeoutSeconds = 30.0
        public var timeoutSeconds = 120.0
        /// The model's window: prompt and reply together. `max_context_tokens` (8192).
        public var maxContextTokens = 8192
        /// The longest reply asked for. `max_reply_tokens` (512).
        public var maxReplyTokens = 512
        /// Calls at once (`concurrency`, 2) and calls waiting for one (`queue_limit`, 16; past it, 429).
        public var concurrency = 2
        public var queueLimit = 16

        public init() {}

        public var isConfigured: Bool { !baseURL.isEmpty }
    }

    /// What to do with a source file after its results are committed.
    public enum Disposition: String, Sendable, CaseIterable {
        case archive, delete, leave
    }

    public init() {}

    public var resolvedArchiveDir: String { archiveDir ?? stateDir + "/archive" }
    public var resolvedFailedDir: String { failedDir ?? stateDir + "/failed" }
    public var resolvedMaxBodyBytes: Int { maxBodyBytes ?? maxBytes }
    public var databasePath: String { stateDir + "/tome.sqlite" }
    public var engramPath: String { stateDir + "/engram.mem" }

    /// Retries and their backoff (`[jobs] retries`, `retry_backoff_s`).
    public var jobLifecycle: JobLifecycle { JobLifecycle(retries: retries, backoffSeconds: retryBackoffSeconds) }

    /// The number of workers once 0 is resolved to the number of cores.
    public var resolvedWorkers: Int {
        workers > 0 ? workers : max(1, ProcessInfo.processInfo.activeProcessorCount)
    }
}

/// A config that cannot be used, with where it is wrong.
public struct ConfigError: Error, Equatable, CustomStringConvertible {
    public var file: String
    /// `line N, column M` for syntax errors; the key path (`spool.settle_ms`) otherwise.
    public var location: String
    public var message: String

    public var description: String { "\(file): \(location): \(message)" }
}

extension DaemonConfig {
    /// Reads the config at `path`.
    public static func load(path: String) throws -> DaemonConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(file: path, location: "file", message: "cannot read the config file")
        }
        return try parse(String(decoding: data, as: UTF8.self), file: path)
    }

    /// A folder (or the socket) as one absolute path, from the config or
    /// the command line: a relative one is taken from the working directory
    /// (as the daemon would open it), `.`, `..`, `//` and a trailing `/` are
    /// resolved away. Whether a file lies in the archive, the failed folder
    /// or the spool is then one prefix test (`Disposer.isInside`), whichever
    /// way the folder was spelt.
    public static func absolutePath(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }

    /// Parses config text; `file` names it in errors.
    public static func parse(_ text: String, file: String) throws -> DaemonConfig {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigError(file: file, location: "line \(error.source.begin.line), column \(error.source.begin.column)", message: error.description)
        }
        let reader = ConfigReader(file: file)
        var config = DaemonConfig()
        try reader.section(table, path: "") { r, t in
            try r.string(t, "state_dir") { config.stateDir = Self.absolutePath($0) }
            try r.string(t, "pipelines_dir") { config.pipelinesDir = Self.absolutePath($0) }
            try r.table(t, "spool") { r, t in
                try r.string(t, "dir") { config.spoolDir = Self.absolutePath($0) }
                try r.int(t, "settle_ms", min: 0) { config.settleMilliseconds = $0 }
                try r.number(t, "scan_interval_s", min: 0.1) { config.scanIntervalSeconds = $0 }
                try r.string(t, "on_success") { value in
                    guard let disposition = Disposition(rawValue: value) else {
                        throw r.bad("spool.on_success", "must be one of archive, delete, leave (got \"\(value)\")")
                    }
                    config.onSuccess = disposition
                }
                try r.string(t, "archive_dir") { config.archiveDir = $0.isEmpty ? nil : Self.absolutePath($0) }
                try r.string(t, "failed_dir") { config.failedDir = $0.isEmpty ? nil : Self.absolutePath($0) }
            }
            try r.table(t, "jobs") { r, t in
                try r.int(t, "workers", min: 0) { config.workers = $0 }
                try r.int(t, "queue_limit", min: 1) { config.queueLimit = $0 }
                try r.int(t, "retries", min: 0) { config.retries = $0 }
                try r.int(t, "min_free_mb", min: 0) { config.minFreeMB = $0 }
                try r.number(t, "retry_backoff_s", min: 0) { config.retryBackoffSeconds = $0 }
            }
            try r.table(t, "extract") { r, t in
                try r.number(t, "timeout_s", min: 0.1) { config.extractTimeoutSeconds = $0 }
                try r.int(t, "memory_mb", min: 256) { config.extractMemoryMB = $0 }
                try r.int(t, "max_bytes", min: 1) { config.maxBytes = $0 }
                try r.number(t, "ocr_page_timeout_s", min: 1) { config.ocrPageTimeoutSeconds = $0 }
                try r.int(t, "ocr_max_pages", min: 1) { config.ocrMaxPages = $0 }
            }
            try r.table(t, "engine") { r, t in
                try r.int(t, "cache_mb", min: 1) { config.engineCacheMB = $0 }
                try r.string(t, "model_dir") { config.modelDir = $0.isEmpty ? "" : Self.absolutePath($0) }
            }
            try r.table(t, "llm") { r, t in
                try r.string(t, "base_url") { value in
                    guard value.isEmpty || value.hasPrefix("http://") || value.hasPrefix("https://") else {
                        throw r.bad("llm.base_url", "must start with http:// or https:// (got \"\(value)\")")
                    }
                    config.llm.baseURL = value
                }
                try r.string(t, "model") { config.llm.model = $0 }
                try r.string(t, "api_key_file") { config.llm.apiKeyFile = $0.isEmpty ? "" : Self.absolutePath($0) }
                try r.string(t, "api_key_env") { config.llm.apiKeyEnv = $0 }
                try r.number(t, "connect_timeout_s", min: 0.1) { config.llm.connectTimeoutSeconds = $0 }
                try r.number(t, "idle_timeout_s", min: 0.1) { config.llm.idleTimeoutSeconds = $0 }
                try r.number(t, "timeout_s", min: 0.1) { config.llm.timeoutSeconds = $0 }
                try r.int(t, "max_context_tokens", min: 1024) { config.llm.maxContextTokens = $0 }
                try r.int(t, "max_reply_tokens", min: 16) { config.llm.maxReplyTokens = $0 }
                try r.int(t, "concurrency", min: 1) { config.llm.concurrency = $0 }
                try r.int(t, "queue_limit", min: 0) { config.llm.queueLimit = $0 }
                if config.llm.isConfigured, config.llm.model.isEmpty { throw r.bad("llm.model", "is required with base_url (the model's name on that server)") }
                if config.llm.maxReplyTokens * 2 > config.llm.maxContextTokens {
                    throw r.bad("llm.max_reply_tokens", "must be at most half of max_context_tokens (\(config.llm.maxContextTokens)), to leave room for the excerpts")
                }
            }
            try r.table(t, "api") { r, t in
                try r.string(t, "socket") { config.socketPath = $0 }
                try r.string(t, "socket_mode") { value in
                    guard let mode = UInt32(value, radix: 8), mode <= 0o777 else {
                        throw r.bad("api.socket_mode", "must be an octal mode such as \"0660\" (got \"\(value)\")")
                    }
                    config.socketMode = mode
                }
                try r.string(t, "socket_group") { config.socketGroup = $0 }
                try r.strings(t, "write_groups") { config.writeGroups = $0 }
                try r.strings(t, "read_groups") { config.readGroups = $0 }
                try r.int(t, "max_body_bytes", min: 1) { config.maxBodyBytes = $0 }
                try r.int(t, "max_connections", min: 1) { config.maxConnections = $0 }
                try r.number(t, "request_timeout_s", min: 0.1) { config.requestTimeoutSeconds = $0 }
                try r.int(t, "max_connections_per_peer", min: 1) { config.maxConnectionsPerPeer = $0 }
                try r.number(t, "header_timeout_s", min: 0.1) { config.headerTimeoutSeconds = $0 }
                try r.int(t, "max_event_streams", min: 1) { config.maxEventStreams = $0 }
                try r.int(t, "max_event_streams_per_peer", min: 1) { config.maxEventStreamsPerPeer = $0 }
            }
        }
        return config
    }
}

/// Walks a TOML table, handing each known key to a setter, and refusing
/// unknown keys and values of the wrong type by their key path.
private final class ConfigReader {
    let file: String
    /// Keys read so far in the section being walked.
    private var seen: Set<String> = []
    private var path = ""

    init(file: String) {
        self.file = file
    }

    func bad(_ key: String, _ message: String) -> ConfigError {
        ConfigError(file: file, location: key, message: message)
    }

    private func full(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    /// Reads a section with `body`, then refuses any key `body` did not ask for.
    func section(_ table: TOMLTable, path: String, _ body: (ConfigReader, TOMLTable) throws -> Void) throws {
        let outer = (seen, self.path)
        seen = []
        self.path = path
        try body(self, table)
        for key in table.keys.sorted() where !seen.contains(key) {
            throw bad(full(key), "unknown key")
        }
        (seen, self.path) = outer
    }

    func table(_ table: TOMLTable, _ key: String, _ body: (ConfigReader, TOMLTable) throws -> Void) throws {
        seen.insert(key)
        guard let value = table[key] else { return }
        guard let sub = value.table else { throw bad(full(key), "must be a table ([\(key)])") }
        try section(sub, path: full(key), body)
    }

    func string(_ table: TOMLTable, _ key: String, _ set: (String) throws -> Void) throws {
        seen.insert(key)
        guard let value = table[key] else { return }
        guard let string = value.string else { throw bad(full(key), "must be a string") }
        try set(string)
    }

    func int(_ table: TOMLTable, _ key: String, min: Int, _ set: (Int) throws -> Void) throws {
        seen.insert(key)
        guard let value = table[key] else { return }
        guard let int = value.int else { throw bad(full(key), "must be an integer") }
        guard int >= min else { throw bad(full(key), "must be at least \(min) (got \(int))") }
        try set(int)
    }

    /// An integer or a float.
    func number(_ table: TOMLTable, _ key: String, min: Double, _ set: (Double) throws -> Void) throws {
        seen.insert(key)
        guard let value = table[key] else { return }
        guard let number = value.double ?? value.int.map(Double.init) else { throw bad(full(key), "must be a number") }
        guard number >= min else { throw bad(full(key), "must be at least \(min) (got \(number))") }
        try set(number)
    }

    func strings(_ table: TOMLTable, _ key: String, _ set: ([String]) throws -> Void) throws {
        seen.insert(key)
        guard let value = table[key] else { return }
        guard let array = value.array else { throw bad(full(key), "must be an array of strings") }
        var strings: [String] = []
        for element in array {
            guard let string = element.string else { throw bad(full(key), "must be an array of strings") }
            strings.append(string)
        }
        try set(strings)
    }
}
