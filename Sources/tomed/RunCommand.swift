import ArgumentParser
import Foundation
import Logging
import TomeDaemon

/// The options that say which daemon: its config file and the paths that override it.
struct DaemonOptions: ParsableArguments {
    static let defaultConfigPath = "/etc/tome/tomed.toml"

    @Option(help: "The config file. Without this option, \(defaultConfigPath) when it exists, else the built-in defaults.")
    var config: String?

    @Option(help: "The spool folder to watch (overrides [spool] dir).")
    var spool: String?

    @Option(help: "The state folder: database, archive, failed files, lock (overrides state_dir).")
    var stateDir: String?

    @Option(help: "The control socket's path (overrides [api] socket).")
    var socket: String?

    /// Reads the config file (or the defaults) with these overrides; SIGHUP calls it again.
    var loader: @Sendable () throws -> DaemonConfig {
        let (config, spool, stateDir, socket) = (self.config, self.spool, self.stateDir, self.socket)
        return {
            var loaded: DaemonConfig
            if let path = config {
                loaded = try DaemonConfig.load(path: path)
            } else if FileManager.default.fileExists(atPath: Self.defaultConfigPath) {
                loaded = try DaemonConfig.load(path: Self.defaultConfigPath)
            } else {
                loaded = DaemonConfig()
            }
            if let spool { loaded.spoolDir = DaemonConfig.absolutePath(spool) }
            if let stateDir { loaded.stateDir = DaemonConfig.absolutePath(stateDir) }
            if let socket { loaded.socketPath = DaemonConfig.absolutePath(socket) }
            return loaded
        }
    }
}

/// `tomed [run] [--config FILE] [--spool DIR] [--state-dir DIR] [--socket PATH]`.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the daemon (the default command)."
    )

    @OptionGroup var options: DaemonOptions

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = OneLineLogHandler(StreamLogHandler.standardError(label: label))
            handler.logLevel = .info
            return handler
        }
        let logger = Logger(label: "tomed")
        let load = options.loader
        do {
            let daemon = Daemon(config: try load(), reload: load, logger: logger)
            try await daemon.run()
        } catch let error as ConfigError {
            FileHandle.standardError.write(Data("tomed: \(error)\n".utf8))
            throw ExitCode.failure
        } catch let error as DaemonError {
            FileHandle.standardError.write(Data("tomed: \(error)\n".utf8))
            throw ExitCode.failure
        } catch {
            // A system call refused at start (no space, no permission): one line that names it.
            FileHandle.standardError.write(Data("tomed: cannot start: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}

/// `tomed check-config FILE`: says whether the config is valid and, if not,
/// where (the line of a syntax error, the key of a bad value).
struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a config file and the pipelines it names."
    )

    @Argument(help: "The config file to check.")
    var file: String

    func run() throws {
        do {
            let config = try DaemonConfig.load(path: file)
            if config.llm.isConfigured { try config.llm.checkKey() }
            let problems = DaemonConfig.pipelineProblems(in: config.pipelinesDir)
            for problem in problems { FileHandle.standardError.write(Data("tomed: pipeline \(problem)\n".utf8)) }
            if !problems.isEmpty { throw ExitCode.failure }
            print("\(file): ok")
        } catch let error as ConfigError {
            FileHandle.standardError.write(Data("tomed: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}

/// `tomed rebuild`: after the database was lost, puts every archived file
/// back in the spool so that the next start ingests it again.
struct RebuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild",
        abstract: "Rebuild the store from the archive: move the database aside and every archived file back into the spool.",
        discussion: """
            Run it with the daemon stopped and the same options as the daemon. A database that is \
            not empty is kept as tome.sqlite.before-rebuild; the corpus memory is rebuilt at the next start.
            """
    )

    @OptionGroup var options: DaemonOptions

    func run() throws {
        do {
            let config = try options.loader()
            let report = try ArchiveRebuild(config: config).run()
            if let kept = report.keptDatabase { print("the database was moved to \(kept)") }
            print("\(report.requeued) archived file\(report.requeued == 1 ? "" : "s") moved back into \(config.spoolDir); start tomed to ingest them")
            if report.failedLeft > 0 {
                print("\(report.failedLeft) file\(report.failedLeft == 1 ? "" : "s") in \(config.resolvedFailedDir) left where they are")
            }
        } catch let error as ConfigError {
            FileHandle.standardError.write(Data("tomed: \(error)\n".utf8))
            throw ExitCode.failure
        } catch {
            FileHandle.standardError.write(Data("tomed: rebuild: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
