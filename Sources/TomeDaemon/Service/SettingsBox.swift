import Synchronization

/// The configuration in force, replaced as a whole on SIGHUP. Components read
/// `current` each time they need a setting, so a reload reaches them all.
final class SettingsBox: Sendable {
    private struct State {
        var config: DaemonConfig
        var pipelines: [String: Pipeline]
        /// Derived from `config`'s groups once per load: group names resolve
        /// through NSS, which may be a network lookup, so not per request.
        var access: AccessPolicy
    }

    private let state: Mutex<State>

    init(_ config: DaemonConfig, pipelines: [String: Pipeline]) {
        state = Mutex(State(config: config, pipelines: pipelines,
                            access: AccessPolicy(writeGroups: config.writeGroups, readGroups: config.readGroups)))
    }

    var current: DaemonConfig { state.withLock { $0.config } }
    var pipelines: [String: Pipeline] { state.withLock { $0.pipelines } }
    var pipelineNames: Set<String> { state.withLock { Set($0.pipelines.keys) } }
    var access: AccessPolicy { state.withLock { $0.access } }

    func replace(_ config: DaemonConfig, pipelines: [String: Pipeline]) {
        let access = AccessPolicy(writeGroups: config.writeGroups, readGroups: config.readGroups)
        state.withLock { $0 = State(config: config, pipelines: pipelines, access: access) }
    }
}
