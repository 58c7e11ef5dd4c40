import ArgumentParser

/// `tomed`: the Tome daemon (`tomed [--config FILE] …`), plus `tomed extract`
/// (one file, also what the daemon runs in its child processes),
/// `tomed check-config` and `tomed rebuild`.
@main
struct Tomed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tomed",
        abstract: "Tome's daemon for long documents.",
        subcommands: [RunCommand.self, ExtractCommand.self, CheckConfigCommand.self, RebuildCommand.self],
        defaultSubcommand: RunCommand.self
    )
}
