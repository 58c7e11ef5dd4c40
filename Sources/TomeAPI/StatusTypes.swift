// How the daemon is: `/v1/status`, `/v1/health`, and the lines of `/v1/events`. The JSON bodies of the control API
// (`openapi.yaml`), shared by the daemon that writes them and the `tome` CLI
// that reads them. Keys are snake_case; times are ISO 8601 UTC strings.

/// `GET /v1/status`.
public struct DaemonStatus: Codable, Sendable, Equatable {
    /// Documents by status (every status present, zero included).
    public var documents: [String: Int]
    /// Jobs waiting for a worker.
    public var queueLength: Int
    public var workersBusy: Int
    public var workers: Int
    public var uptimeSeconds: Double
    public var version: String
    public var storage: StorageStatus
    public var memory: MemoryStatus
    /// The pipelines loaded (their names, sorted): a spool subfolder or an
    /// upload under one of these names runs it; any other runs `default`.
    public var pipelines: [String]
    /// Whether asks match meaning (the semantic head's model is installed) or words alone.
    public var meaning: MeaningStatus
    /// The language model that writes answers (`[llm]`), and whether it answers.
    public var llm: LLMStatus

    public init(documents: [String: Int], queueLength: Int, workersBusy: Int, workers: Int, uptimeSeconds: Double, version: String,
                storage: StorageStatus, memory: MemoryStatus, pipelines: [String], meaning: MeaningStatus = .off("not configured"),
                llm: LLMStatus = LLMStatus(configured: false)) {
        self.llm = llm
        self.pipelines = pipelines
        self.meaning = meaning
        self.documents = documents
        self.queueLength = queueLength
        self.workersBusy = workersBusy
        self.workers = workers
        self.uptimeSeconds = uptimeSeconds
        self.version = version
        self.storage = storage
        self.memory = memory
    }

    enum CodingKeys: String, CodingKey {
        case documents, workers, version, storage, memory, pipelines, meaning, llm
        case queueLength = "queue_length", workersBusy = "workers_busy", uptimeSeconds = "uptime_seconds"
    }

    /// `pipelines` may be missing: a daemon older than this client does not send it.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        documents = try c.decode([String: Int].self, forKey: .documents)
        queueLength = try c.decode(Int.self, forKey: .queueLength)
        workersBusy = try c.decode(Int.self, forKey: .workersBusy)
        workers = try c.decode(Int.self, forKey: .workers)
        uptimeSeconds = try c.decode(Double.self, forKey: .uptimeSeconds)
        version = try c.decode(String.self, forKey: .version)
        storage = try c.decode(StorageStatus.self, forKey: .storage)
        memory = try c.decode(MemoryStatus.self, forKey: .memory)
        pipelines = try c.decodeIfPresent([String].self, forKey: .pipelines) ?? []
        meaning = try c.decodeIfPresent(MeaningStatus.self, forKey: .meaning) ?? .off("the daemon does not say")
        llm = try c.decodeIfPresent(LLMStatus.self, forKey: .llm) ?? LLMStatus(configured: false)
    }
}

/// The language model (`GET /v1/status`): configured or not; when it is,
/// its server and model, whether it answered when last asked (a probe
/// every minute, and every call), and the calls running and waiting.
public struct LLMStatus: Codable, Sendable, Equatable {
    public var configured: Bool
    public var model: String?
    public var baseURL: String?
    /// It answered the last probe or call; nil before the first.
    public var answering: Bool?
    /// Why it did not.
    public var reason: String?
    /// When it was last heard from or tried (ISO 8601 UTC).
    public var checkedAt: String?
    public var running: Int
    public var waiting: Int
    /// Documents' written summaries and answers not written yet (the pipelines' `written_*` stage).
    public var writtenPending: Int

    public init(configured: Bool, model: String? = nil, baseURL: String? = nil, answering: Bool? = nil, reason: String? = nil,
                checkedAt: String? = nil, running: Int = 0, waiting: Int = 0, writtenPending: Int = 0) {
        self.writtenPending = writtenPending
        self.configured = configured
        self.model = model
        self.baseURL = baseURL
        self.answering = answering
        self.reason = reason
        self.checkedAt = checkedAt
        self.running = running
        self.waiting = waiting
    }

    enum CodingKeys: String, CodingKey {
        case configured, model, answering, reason, running, waiting
        case baseURL = "base_url", checkedAt = "checked_at", writtenPending = "written_pending"
    }
}

/// The semantic head (`GET /v1/status`): on, with its model, or off and why
/// (its files are not installed, or could not be read). Off, asks match words only.
public struct MeaningStatus: Codable, Sendable, Equatable {
    public var available: Bool
    /// The model's name ("all-MiniLM-L6-v2") and folder.
    public var model: String?
    public var path: String?
    /// Why meaning is off.
    public var reason: String?
    /// The model's full encoder is installed too: asks may be `deep`.
    /// (Absent from a daemon older than this client.)
    public var deep: Bool?

    public init(available: Bool, model: String?, path: String?, reason: String?, deep: Bool? = nil) {
        self.deep = deep
        self.available = available
        self.model = model
        self.path = path
        self.reason = reason
    }

    public static func off(_ reason: String, path: String? = nil) -> MeaningStatus {
        MeaningStatus(available: false, model: nil, path: path, reason: reason)
    }
}

/// Whether the daemon can write (`GET /v1/status`): false while the state
/// dir's file system is full, when intake and processing pause.
public struct StorageStatus: Codable, Sendable, Equatable {
    public var writable: Bool
    public var freeBytes: Int64
    public var problem: String?

    public init(writable: Bool, freeBytes: Int64, problem: String?) {
        self.writable = writable
        self.freeBytes = freeBytes
        self.problem = problem
    }

    enum CodingKeys: String, CodingKey {
        case writable, problem
        case freeBytes = "free_bytes"
    }
}

/// The corpus memory (`GET /v1/status`): `state` is `ready`, `checking`
/// (at start), `rebuilding` (with `done` of `total` documents; asks and
/// Engram lookups answer 503 `rebuilding` meanwhile) or `stale` (a
/// document's counts could not be applied; rebuilt at the next start).
public struct MemoryStatus: Codable, Sendable, Equatable {
    public var state: String
    public var documents: Int
    public var done: Int?
    public var total: Int?

    public init(state: String, documents: Int, done: Int? = nil, total: Int? = nil) {
        self.state = state
        self.documents = documents
        self.done = done
        self.total = total
    }
}

/// `GET /v1/health` when the daemon is degraded (503): what is wrong.
public struct HealthReport: Codable, Sendable, Equatable {
    public var status: String
    public var problems: [String]

    public init(status: String, problems: [String]) {
        self.status = status
        self.problems = problems
    }
}

/// One line of `GET /v1/events` (newline-delimited JSON).
public struct Event: Codable, Sendable, Equatable {
    public var event: EventKind
    public var id: Int64
    public var name: String
    public var progress: DocumentProgress?
    public var error: DocumentError?
    /// For `duplicate`: the document the content already is.
    public var duplicateOf: Int64?
    public var time: String

    public init(event: EventKind, id: Int64, name: String, progress: DocumentProgress? = nil, error: DocumentError? = nil, duplicateOf: Int64? = nil, time: String) {
        self.event = event
        self.id = id
        self.name = name
        self.progress = progress
        self.error = error
        self.duplicateOf = duplicateOf
        self.time = time
    }

    enum CodingKeys: String, CodingKey {
        case event, id, name, progress, error, time
        case duplicateOf = "duplicate_of"
    }
}
