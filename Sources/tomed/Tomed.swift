import ArgumentParser

/// `tomed`: the Tome daemon. Today it has one subcommand, `extract`.
@main
struct Tomed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tomed",
        abstract: "Tome's daemon for long documents.",
        subcommands: [ExtractCommand.self]
    )
}
