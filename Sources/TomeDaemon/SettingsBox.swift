import Synchronization

/// The configuration in force, replaced as a whole on SIGHUP. Components read
/// `current` each time they need a setting, so a reload reaches them all.
final class SettingsBox: Sendable {
    private let value: Mutex<DaemonConfig>
    private let pipelineNames: Mutex<Set<String>>

    init(_ config: DaemonConfig, pipelines: Set<String>) {
        value = Mutex(config)
        pipelineNames = Mutex(pipelines)
    }

    var current: DaemonConfig { value.withLock { $0 } }
    var pipelines: Set<String> { pipelineNames.withLock { $0 } }

    func replace(_ config: DaemonConfig, pipelines: Set<String>) {
        value.withLock { $0 = config }
        pipelineNames.withLock { $0 = pipelines }
    }
}
