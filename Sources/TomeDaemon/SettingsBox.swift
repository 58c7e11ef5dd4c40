import Synchronization

/// The configuration in force, replaced as a whole on SIGHUP. Components read
/// `current` each time they need a setting, so a reload reaches them all.
final class SettingsBox: Sendable {
    private struct State {
        var config: DaemonConfig
        var pipelines: Set<String>
        /// Derived from `config`'s groups once per load: group names resolve
        /// through NSS, which may be a network lookup, so not per request.
        var access: AccessPolicy
    }

    private let state: Mutex<State>

    init(_ config: DaemonConfig, pipelines: Set<String>) {
        state = Mutex(State(config: config, pipelines: pipelines,
                            access: AccessPolicy(writeGroups: config.writeGroups, readGroups: config.readGroups)))
    }

    var current: DaemonConfig { state.withLock { $0.config } }
    var pipelines: Set<String> { state.withLock { $0.pipelines } }
    var access: AccessPolicy { state.withLock { $0.access } }

    func replace(_ config: DaemonConfig, pipelines: Set<String>) {
        let access = AccessPolicy(writeGroups: config.writeGroups, readGroups: config.readGroups)
        state.withLock { $0 = State(config: config, pipelines: pipelines, access: access) }
    }
}
