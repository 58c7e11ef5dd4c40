import Foundation
import Glibc
import Hummingbird
import HummingbirdCore
import Logging
import ServiceLifecycle
import TomeEngine
import TomeStore
import UnixSignals

/// The daemon, configured and then run: a value, not a global.
///
/// `run()` takes the state dir's lock, refuses a lost database beside a
/// non-empty archive (`ArchiveRebuild`), opens the store (running the
/// migrations), puts interrupted jobs back in the queue, finishes moving the
/// files of jobs that ended just before a crash, recovers the corpus memory
/// (a rebuild, when needed, runs while the API answers), binds the control socket,
/// tells systemd it is ready, and runs the services until SIGTERM or SIGINT.
/// SIGHUP reloads the config and the pipelines.
public struct Daemon: Sendable {
    public var config: DaemonConfig
    /// Reads the config again for SIGHUP (the file plus command-line overrides).
    public var reload: @Sendable () throws -> DaemonConfig
    public var logger: Logger

    public init(config: DaemonConfig, reload: @escaping @Sendable () throws -> DaemonConfig, logger: Logger) {
        self.config = config
        self.reload = reload
        self.logger = logger
    }

    public func run() async throws {
        umask(0o007)
        for dir in [config.stateDir, config.spoolDir, config.resolvedArchiveDir, config.resolvedFailedDir] {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        // The spool's writers (its group) may read what Tome keeps, never change it.
        for dir in [config.resolvedArchiveDir, config.resolvedFailedDir] where FileStat(dir)?.isDirectory == true {
            var info = stat()
            if stat(dir, &info) == 0, info.st_uid == geteuid(), info.st_mode & 0o022 != 0 { chmod(dir, info.st_mode & 0o7755) }
        }
        let lock = try PIDLock(path: config.stateDir + "/tomed.lock", guarding: "the state dir \(config.stateDir)")
        // Hummingbird removes an existing socket file before it binds: a second
        // daemon with another state dir must not take a live one over.
        let socketDir = (config.socketPath as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: socketDir, withIntermediateDirectories: true)
        let socketLock = try PIDLock(path: config.socketPath + ".lock", guarding: "the socket \(config.socketPath)")
        try Self.refuseLiveSocket(config.socketPath)
        try ArchiveRebuild.refuseLostDatabase(config)
        let store = try Store(path: config.databasePath)
        let recovered = try store.recoverInterrupted(lifecycle: config.jobLifecycle, now: Date())
        if recovered.requeued > 0 { logger.notice("re-queued jobs interrupted by the last stop", metadata: ["jobs": "\(recovered.requeued)"]) }
        if recovered.failed > 0 {
            logger.error("failed documents tomed stopped while storing, each time it tried",
                         metadata: ["jobs": "\(recovered.failed)"])
        }

        let pipelines = Pipelines.load(directory: config.pipelinesDir)
        for problem in pipelines.problems { logger.error("pipeline ignored", metadata: ["problem": "\(problem)"]) }
        let settings = SettingsBox(config, pipelines: pipelines.pipelines)
        let events = EventHub()
        let metrics = Metrics()
        let storage = StorageMonitor(settings: settings, store: store, events: events, logger: logger)
        // Rung when a job may be waiting for a worker: a file queued, space back, a job handed back.
        let jobsBell = Doorbell()
        let claims = ClaimFolder(stateDir: config.stateDir)
        try claims.prepare()
        let disposer = Disposer(store: store, settings: settings, claims: claims, logger: logger) { storage.noteFailure($0) }
        let intake = Intake(store: store, settings: settings, events: events, disposer: disposer, storage: storage, claims: claims, jobsBell: jobsBell,
                            logger: logger)
        // Files of jobs that ended just before the stop, files claimed but not recorded, jobs of an earlier version.
        intake.adoptSpoolSources()
        disposer.disposeAllPending()
        intake.recoverClaims(atStart: true)
        storage.whenSpaceReturns {
            disposer.disposeAllPending()
            intake.recoverClaims(atStart: false)
            jobsBell.ring()
        }
        let workers = config.resolvedWorkers
        let started = monotonicNow()
        let memory = try CorpusMemory(path: config.engramPath)
        let rebuildMemory = memory.recover(storeGeneration: try store.engramGeneration(), logger: logger)
        Self.requeueUnanalysed(store: store, intake: intake, logger: logger)
        let semantic = SemanticModel.load(folder: config.modelDir)
        logger.notice(semantic.head == nil ? "words only" : "meaning", metadata: semantic.head == nil
            ? ["reason": "\(semantic.status.reason ?? "")"] : ["model": "\(SemanticModel.name)", "path": "\(config.modelDir)"])
        let asker = AskService(store: store, memory: memory, parameters: EngineParameters(), cacheBytes: config.engineCacheMB << 20,
                               semantic: semantic.head, encoderPath: semantic.encoderPath)
        let lanes = Lanes()
        // Queued on the commit lane before any worker can commit: the rebuild goes first.
        let rebuilder = MemoryRebuilder(memory: memory, store: store, lane: lanes.commits, needed: rebuildMemory, logger: logger)
        let answerer = PipelineAnswerer(store: store, asker: asker, memory: memory, settings: settings, lane: lanes.asks, logger: logger)
        let model = LanguageModel(config: config.llm, logger: logger)
        let writer = GroundedAnswerer(store: store, model: model)
        let written = WrittenWorker(store: store, asker: asker, writer: writer, memory: memory, settings: settings, lane: lanes.asks, logger: logger)
        let answersAPI = AnswersAPI(store: store, settings: settings, answerer: answerer, written: written)
        if config.llm.isConfigured {
            logger.notice("language model", metadata: ["model": "\(config.llm.model)", "base_url": "\(config.llm.baseURL)",
                                                       "key": "\(model.client?.endpoint.apiKey == nil ? "none" : "set")"])
        }
        let api = ControlAPI(
            documents: DocumentsAPI(store: store, intake: intake, asker: asker, memory: memory, events: events, settings: settings, lanes: lanes,
                                    storage: storage, disposer: disposer, answers: answersAPI, logger: logger),
            ask: AskAPI(asker: asker, memory: memory, lanes: lanes, writer: writer), search: SearchAPI(store: store, lanes: lanes),
            extractions: ExtractionsAPI(store: store), answers: answersAPI, events: EventsAPI(events: events, settings: settings),
            status: StatusAPI(store: store, memory: memory, events: events, metrics: metrics, settings: settings, storage: storage,
                              workers: workers, startedAt: started, meaning: semantic.status, model: model),
            settings: settings, peer: PeerCredentials.of)
        let peers = PeerConnections()

        let notifier = SystemdNotifier()
        let logger = self.logger
        let bound = config
        let app = Application(
            router: api.router(),
            server: .http1(configuration: .init(
                additionalChannelHandlers: [ConnectionGuard(
                    peers: peers, perPeer: bound.maxConnectionsPerPeer,
                    headerTimeout: .milliseconds(Int64(bound.headerTimeoutSeconds * 1000)),
                    // A moment before Hummingbird's idle timeout closes the connection without a word.
                    bodyTimeout: .milliseconds(Int64(max(0.5, bound.requestTimeoutSeconds - 0.5) * 1000)), exempt: [0, geteuid()]),
                    MalformedRequestResponder()],
                idleTimeout: .milliseconds(Int64(max(1, config.requestTimeoutSeconds) * 1000)))),
            configuration: .init(
                address: .unixDomainSocket(path: config.socketPath), serverName: "tomed",
                availableConnectionsDelegate: MaximumAvailableConnections(config.maxConnections)
            ),
            onServerRunning: { _ in
                Self.applySocketPermissions(bound, logger: logger)
                notifier.notify("READY=1\nSTATUS=ready\nMAINPID=\(getpid())")
                logger.notice("ready", metadata: ["socket": "\(bound.socketPath)", "spool": "\(bound.spoolDir)", "workers": "\(workers)"])
            },
            logger: logger
        )
        let heartbeat = SystemdHeartbeat(notifier: notifier, events: events, probe: HealthProbe(socket: config.socketPath)) {
            let queue = (try? store.queueLength()) ?? 0
            return "\(queue) queued, \(events.busyWorkers)/\(workers) workers busy"
        }
        let reloader = ReloadOnHangup(settings: settings, reload: reload, logger: logger) { answerer.catchUp() }
        let pool = WorkerPool(store: store, settings: settings, events: events, metrics: metrics, disposer: disposer,
                              memory: memory, commits: lanes.commits, storage: storage, answerer: answerer, claims: claims,
                              bell: jobsBell, executable: try Self.executablePath(), modelDir: semantic.folderForChildren,
                              workers: workers, logger: logger)
        let watcherBell = Doorbell()
        storage.whenSpaceReturns { watcherBell.ring() }
        let watcher = SpoolWatcher(settings: settings, intake: intake, storage: storage, claims: claims, bell: watcherBell, logger: logger)

        // A graceful stop reaches the services one at a time, last first: the
        // watcher (no new files), the workers (a running child is killed and
        // its job re-queued), the answerer, the memory's rebuilder and the
        // model's written work (their work resumes at the next start), the
        // model's client, the storage monitor, the reloader,
        // the heartbeat (STOPPING=1; event streams end, so they cannot hold
        // the API up), then the API.
        var configuration = ServiceGroupConfiguration(
            services: [app, heartbeat, reloader, storage, model, written, rebuilder, answerer, pool, watcher],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        configuration.maximumGracefulShutdownDuration = Duration.seconds(20)
        let group = ServiceGroup(configuration: configuration)
        try await group.run()
        withExtendedLifetime((lock, socketLock)) {}
        logger.notice("stopped")
    }

    /// Documents stored before this engine's index format are analysed again
    /// from the file the daemon kept; those whose file is gone are named (ask
    /// reports them as needing reprocess once the file is added again).
    static func requeueUnanalysed(store: Store, intake: Intake, logger: Logger) {
        var gone: [Int64] = []
        for id in (try? store.documentsWithoutAnalysis()) ?? [] {
            if (try? intake.requeue(documentID: id)) != nil {
                logger.notice("re-queued for analysis by this engine", metadata: ["document": "\(id)"])
            } else {
                gone.append(id)
            }
        }
        if !gone.isEmpty {
            logger.warning("documents analysed by an earlier engine whose file was not kept; add them again to ask them",
                           metadata: ["documents": "\(gone.map(String.init).joined(separator: ","))"])
        }
    }

    /// Sets the socket's mode and group (Hummingbird binds it with the umask's).
    static func applySocketPermissions(_ config: DaemonConfig, logger: Logger) {
        if chmod(config.socketPath, mode_t(config.socketMode)) != 0 {
            logger.error("cannot set the socket's mode", metadata: ["error": "\(SystemError("chmod", errno))"])
        }
        guard !config.socketGroup.isEmpty else { return }
        guard let gid = Accounts.gid(ofGroup: config.socketGroup) else {
            logger.warning("socket group does not exist; the socket keeps the daemon's group", metadata: ["group": "\(config.socketGroup)"])
            return
        }
        if chown(config.socketPath, uid_t.max, gid) != 0 {
            logger.warning("cannot set the socket's group", metadata: ["group": "\(config.socketGroup)", "error": "\(SystemError("chown", errno))"])
        }
    }

    /// This executable, which the workers run as `tomed extract`.
    static func executablePath() throws -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { throw SystemError("readlink /proc/self/exe", errno) }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Why the daemon could not start.
public struct DaemonError: Error, CustomStringConvertible {
    public var description: String
}

/// An exclusive `flock` held for the daemon's life, with its pid in the file:
/// `STATE_DIR/tomed.lock` (one daemon per state dir) and `SOCKET.lock` (one
/// per socket). A second `tomed` stops with a clear message instead of
/// taking over what the first one uses.
final class PIDLock: Sendable {
    let fd: Int32

    init(path: String, guarding what: String) throws {
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw DaemonError(description: "cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            var buffer = [UInt8](repeating: 0, count: 32)
            let n = pread(fd, &buffer, buffer.count, 0)
            let holder = n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "?"
            close(fd)
            throw DaemonError(description: "another tomed (pid \(holder)) is using \(what); stop it first")
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pwrite(fd, pid, pid.count, 0)
    }

    deinit { close(fd) }
}

extension Daemon {
    /// Refuses a socket path some process accepts connections on (a daemon
    /// without the lock, or another program); a stale file from a crash is
    /// left for the server to replace.
    static func refuseLiveSocket(_ path: String) throws {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw DaemonError(description: "the socket path \(path) is longer than a Unix socket address allows")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, b) in bytes.enumerated() { raw[i] = b } }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if connected == 0 {
            throw DaemonError(description: "another process is serving \(path); stop it or give this daemon another socket")
        }
    }
}

/// SIGHUP: read the config again and apply what can change while running.
/// The state dir, spool, socket and worker count are fixed at start: a change
/// to them is logged as needing a restart and otherwise ignored.
struct ReloadOnHangup: Service {
    let settings: SettingsBox
    let reload: @Sendable () throws -> DaemonConfig
    let logger: Logger
    /// Told after each reload (the pipelines' questions may have changed).
    let onReload: @Sendable () -> Void

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            for await _ in signals {
                self.apply()
            }
        }
    }

    func apply() {
        let old = settings.current
        var new: DaemonConfig
        do {
            new = try reload()
        } catch {
            logger.error("reload failed; the running config stays", metadata: ["error": "\(error)"])
            return
        }
        var restart: [String] = []
        if new.stateDir != old.stateDir { restart.append("state_dir"); new.stateDir = old.stateDir }
        if new.spoolDir != old.spoolDir { restart.append("spool.dir"); new.spoolDir = old.spoolDir }
        if new.socketPath != old.socketPath { restart.append("api.socket"); new.socketPath = old.socketPath }
        if new.workers != old.workers { restart.append("jobs.workers"); new.workers = old.workers }
        if !restart.isEmpty {
            logger.warning("these settings need a restart and were not applied", metadata: ["keys": "\(restart.joined(separator: ", "))"])
        }
        let previous = settings.pipelines
        let pipelines = Pipelines.load(directory: new.pipelinesDir, previous: previous)
        for problem in pipelines.problems {
            let name = ((problem.file as NSString).lastPathComponent as NSString).deletingPathExtension
            logger.error(previous[name] != nil ? "pipeline broken; its last good version stays" : "pipeline ignored",
                         metadata: ["problem": "\(problem)"])
        }
        settings.replace(new, pipelines: pipelines.pipelines)
        logger.notice("reloaded", metadata: ["pipelines": "\(pipelines.pipelines.keys.sorted().joined(separator: ","))"])
        onReload()
    }
}
