import ArgumentParser
import Foundation
import TomeAPI

/// `tome`: the command-line client of `tomed`, over its Unix socket.
@main
struct Tome: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tome",
        abstract: "Query and feed the Tome daemon.",
        discussion: "The socket is --socket, else $TOME_SOCKET, else /run/tome/tome.sock. Exit status: 0 ok, 1 error, 64 usage.",
        subcommands: [Status.self, List.self, Show.self, Text.self, Add.self, Remove.self, Reprocess.self, Watch.self, Ask.self, Summary.self, Answers.self, Search.self, Extract.self, Find.self, Engram.self]
    )

    static func main() async {
        await main(withSocketAfterSubcommand(Array(CommandLine.arguments.dropFirst())))
    }

    /// `tome --socket S ls` as `tome ls --socket S`: the option belongs to
    /// every subcommand, and people put it first too.
    static func withSocketAfterSubcommand(_ arguments: [String]) -> [String] {
        var leading: [String] = [], rest = arguments[...]
        while let first = rest.first {
            if first == "--socket", rest.count >= 2 {
                leading += rest.prefix(2)
                rest = rest.dropFirst(2)
            } else if first.hasPrefix("--socket=") {
                leading.append(first)
                rest = rest.dropFirst()
            } else {
                break
            }
        }
        guard !leading.isEmpty, let subcommand = rest.first, !subcommand.hasPrefix("-") else { return arguments }
        return [subcommand] + leading + rest.dropFirst()
    }
}

/// Options every subcommand takes.
struct Connection: ParsableArguments {
    @Option(help: "The control socket (default: $TOME_SOCKET, else /run/tome/tome.sock).")
    var socket: String?

    var client: Client { Client(socket: Client.socketPath(option: socket)) }
}

/// Runs `body`, printing a failure as one line on stderr and exiting 1.
func reporting(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let failure as Client.Failure {
        Output.error("tome: \(failure)\n")
        throw ExitCode.failure
    }
}

func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    Output.line(String(decoding: try encoder.encode(value), as: UTF8.self))
}

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the daemon's counts, queue and workers.")
    @OptionGroup var connection: Connection
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        try await reporting {
            let status = try await connection.client.json(DaemonStatus.self, .GET, "/v1/status")
            if json { return try printJSON(status) }
            let counts = [DocumentStatus.done, .failed, .processing, .queued].map { "\(status.documents[$0.rawValue] ?? 0) \($0.rawValue)" }
                .joined(separator: ", ")
            Output.line("documents: \(counts)")
            Output.line("queue: \(status.queueLength) · workers: \(status.workersBusy)/\(status.workers) busy · up \(Format.duration(status.uptimeSeconds)) · tomed \(status.version)")
            Output.line("pipelines: \(status.pipelines.joined(separator: ", "))")
            let meaning = status.meaning
            Output.line(meaning.available ? "ask: by words and meaning (\(meaning.model ?? "semantic head")\(meaning.deep == true ? "; ask --deep reads the best answers with its encoder" : ""))"
                        : "ask: by words only (\(meaning.reason ?? "no semantic head"))")
            let llm = status.llm
            if !llm.configured {
                Output.line("language model: none (written answers need [llm] in tomed.toml)"
                            + (llm.writtenPending > 0 ? "; \(llm.writtenPending) written summaries or answers wait for one" : ""))
            } else {
                let state = llm.answering == nil ? "not asked yet" : llm.answering == true ? "answers" : "does not answer (\(OneLine.escaped(llm.reason ?? "no reason given")))"
                Output.line("language model: \(llm.model ?? "?") at \(llm.baseURL ?? "?"), \(state); \(llm.running) writing, \(llm.waiting) waiting"
                            + (llm.writtenPending > 0 ? ", \(llm.writtenPending) written summaries or answers pending" : ""))
            }
            if let done = status.memory.done, let total = status.memory.total, status.memory.state == "rebuilding" {
                Output.line("corpus memory: rebuilding, \(done) of \(total) documents")
            } else if status.memory.state != "ready" {
                Output.line("corpus memory: \(status.memory.state)")
            }
        }
    }
}

struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List documents, newest first.")
    @OptionGroup var connection: Connection
    @Option(help: "Only documents with this status: queued, processing, done, failed.") var status: String?
    @Option(help: "How many documents (at most 1000).") var limit = 50
    @Option(help: "Only documents with an id below this (the next page).") var before: Int64?
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        try await reporting {
            var query = ["limit=\(limit)"]
            if let status { query.append("status=\(status)") }
            if let before { query.append("before=\(before)") }
            let list = try await connection.client.json(DocumentList.self, .GET, "/v1/documents?" + query.joined(separator: "&"))
            if json { return try printJSON(list) }
            Output.line(Format.table(header: ["ID", "STATUS", "PAGES", "TOKENS", "NAME"], rows: list.documents.map { d in
                [String(d.id), d.status.rawValue, d.pages.map(String.init) ?? "-", d.tokens.map(String.init) ?? "-",
                 d.name + (d.error.map { "  (\($0.code): \($0.message))" } ?? "")]
            }))
            if let next = list.nextBefore { Output.line("more: tome ls --before \(next)") }
        }
    }
}

struct Show: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show one document.")
    @OptionGroup var connection: Connection
    @Argument(help: "The document id.") var id: Int64
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        try await reporting {
            let d = try await connection.client.json(DocumentInfo.self, .GET, "/v1/documents/\(id)")
            if json { return try printJSON(d) }
            var lines: [(String, String?)] = [
                ("id", String(d.id)), ("name", d.name), ("status", d.status.rawValue), ("pipeline", d.pipeline), ("type", d.type),
                ("pages", d.pages.map(String.init)), ("tokens", d.tokens.map(String.init)), ("bytes", String(d.bytes)),
                ("sha256", d.sha256), ("attempts", String(d.attempts)),
                ("error", d.error.map { "\($0.code): \($0.message)" }),
                ("progress", d.progress.map(Format.progress)),
                ("ocr", d.ocr.map(Format.ocr)),
                ("title", d.metadata?.title), ("author", d.metadata?.author), ("subject", d.metadata?.subject),
                ("created", d.createdAt), ("finished", d.finishedAt),
            ]
            lines.removeAll { $0.1 == nil }
            let width = lines.map(\.0.count).max() ?? 0
            for (key, value) in lines { Output.line(key.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + OneLine.escaped(value ?? "")) }
        }
    }
}

struct Text: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a document's text, or one page of it.")
    @OptionGroup var connection: Connection
    @Argument(help: "The document id.") var id: Int64
    @Option(help: "Only this page (from 1).") var page: Int?

    func run() async throws {
        try await reporting {
            let (status, data) = try await connection.client.send(.GET, "/v1/documents/\(id)/text" + (page.map { "?page=\($0)" } ?? ""))
            try Client.check(status: status, data: data)
            Output.bytes(data)
            if data.last != 0x0A { Output.text("\n") }
        }
    }
}

struct Remove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Delete a document and everything it produced.")
    @OptionGroup var connection: Connection
    @Argument(help: "The document id.") var id: Int64

    func run() async throws {
        try await reporting {
            let (status, data) = try await connection.client.send(.DELETE, "/v1/documents/\(id)")
            try Client.check(status: status, data: data)
            Output.line("deleted \(id)")
        }
    }
}

struct Reprocess: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Process a document again from its kept source file.")
    @OptionGroup var connection: Connection
    @Argument(help: "The document id.") var id: Int64
    @Flag(help: "Only have the language model write its summary and answers again (the pipeline's written_summary, written_answers).")
    var written = false

    func run() async throws {
        try await reporting {
            let accepted = try await connection.client.json(Accepted.self, .POST, "/v1/documents/\(id)/reprocess" + (written ? "?stage=written" : ""))
            Output.line(written ? "the language model writes \(accepted.id)'s summary and answers again (tome summary \(accepted.id) shows them when done)"
                        : "queued \(accepted.id) again")
        }
    }
}
