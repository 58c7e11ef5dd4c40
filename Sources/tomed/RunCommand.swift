import ArgumentParser
import Foundation
import Logging
import TomeDaemon

/// `tomed [run] [--config FILE] [--spool DIR] [--state-dir DIR] [--socket PATH]`.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the daemon (the default command)."
    )

    static let defaultConfigPath = "/etc/tome/tomed.toml"

    @Option(help: "The config file. Without this option, \(defaultConfigPath) when it exists, else the built-in defaults.")
    var config: String?

    @Option(help: "The spool folder to watch (overrides [spool] dir).")
    var spool: String?

    @Option(help: "The state folder: database, archive, failed files, lock (overrides state_dir).")
    var stateDir: String?

    @Option(help: "The control socket's path (overrides [api] socket).")
    var socket: String?

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .info
            return handler
        }
        let logger = Logger(label: "tomed")
        let overrides = (config, spool, stateDir, socket)
        let load: @Sendable () throws -> DaemonConfig = {
            var loaded: DaemonConfig
            if let path = overrides.0 {
                loaded = try DaemonConfig.load(path: path)
            } else if FileManager.default.fileExists(atPath: Self.defaultConfigPath) {
                loaded = try DaemonConfig.load(path: Self.defaultConfigPath)
            } else {
                loaded = DaemonConfig()
            }
            if let spool = overrides.1 { loaded.spoolDir = Self.absolute(spool) }
            if let stateDir = overrides.2 { loaded.stateDir = Self.absolute(stateDir) }
            if let socket = overrides.3 { loaded.socketPath = Self.absolute(socket) }
            return loaded
        }
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

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
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
            let problems = DaemonConfig.pipelineProblems(in: config.pipelinesDir)
            for problem in problems { print("tomed: pipeline \(problem)") }
            if !problems.isEmpty { throw ExitCode.failure }
            print("\(file): ok")
        } catch let error as ConfigError {
            FileHandle.standardError.write(Data("tomed: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
