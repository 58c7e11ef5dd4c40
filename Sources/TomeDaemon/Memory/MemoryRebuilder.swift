import Logging
import ServiceLifecycle
import TomeStore

/// Rebuilds the corpus memory at start when `CorpusMemory.recover` says it
/// must, on the commit lane while the API answers (asks and Engram lookups
/// get 503 `rebuilding`; commits wait behind it). A graceful stop ends it
/// between steps; the next start resumes it.
struct MemoryRebuilder: Service {
    let memory: CorpusMemory
    let store: Store
    let lane: ComputeLane
    let needed: Bool
    let logger: Logger

    func run() async throws {
        if needed {
            let stop = CancelFlag()
            let (memory, store, logger) = (self.memory, self.store, self.logger)
            try await withGracefulShutdownHandler {
                _ = try await lane.run { try memory.rebuild(from: store, logger: logger, shouldStop: { stop.isSet }) }
            } onGracefulShutdown: {
                stop.set()
            }
        }
        // A service that returns would stop the daemon: this one waits for the stop like the others.
        try? await gracefulShutdown()
    }
}
