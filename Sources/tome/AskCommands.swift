import ArgumentParser
import Foundation
import NIOCore
import TomeAPI

struct Ask: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Ask a question of one document, or of all of them with --all.",
        discussion: "Examples:  tome ask 4 \"What is the total amount due?\"    tome ask --all \"Who signed the lease?\""
    )
    @OptionGroup var connection: Connection
    @Flag(help: "Ask every document.") var all = false
    @Argument(help: "The document id (without --all), then the question.") var words: [String]
    @Option(name: .short, help: "How many answers (1…50; the daemon's default is 5).") var k: Int?
    @Flag(help: "Let attention read every block (slower; for comparison).") var dense = false
    @Flag(help: "Read the best answers again with the semantic model's full encoder and reorder them by meaning (a few hundred ms; needs make model).")
    var deep = false
    @Flag(help: "Have the daemon's language model ([llm]) write an answer from the passages found, citing them as [n]; printed as it is written.")
    var generate = false
    @Flag(help: "Print JSON (with --generate: the stream's lines as they come).") var json = false

    func validate() throws {
        if all {
            guard !words.isEmpty else { throw ValidationError("give the question") }
        } else {
            guard let first = words.first, Int64(first) != nil else {
                let given = words.first.map { "\($0.debugDescription) is not a document id (a number: tome ls lists them); " } ?? ""
                throw ValidationError("\(given)give a document id and the question, or --all and the question")
            }
            guard words.count >= 2 else { throw ValidationError("give the question after the document id") }
        }
        if let k { guard (1...50).contains(k) else { throw ValidationError("-k must be between 1 and 50") } }
    }

    func run() async throws {
        try await reporting {
            let question = (all ? words : Array(words.dropFirst())).joined(separator: " ")
            let path = all ? "/v1/ask" : "/v1/documents/\(words[0])/ask"
            let body = try JSONEncoder().encode(AskRequest(question: question, k: k, mode: dense ? .dense : .sparse, generate: generate ? true : nil,
                                                          deep: deep ? true : nil))
            if generate { return try await written(path: path, body: body) }
            let response = try await connection.client.json(AskResponse.self, .POST, path, body: .bytes(ByteBuffer(bytes: body)))
            if json { return try printJSON(response) }
            printAnswers(response)
        }
    }

    /// The engine's answers as lines, and how the ask went.
    func printAnswers(_ response: AskResponse) {
            if response.answers.isEmpty { Output.line("no answer found" + (response.hint.map { ": \($0)" } ?? "")) }
            if let first = response.answers.first, !first.sure {
                Output.line("(not sure: no answer holds all the question asks for; these are leads)")
            }
            for (n, answer) in response.answers.enumerated() {
                let source = all ? "document \(answer.document), page \(answer.page)" : "page \(answer.page)"
                let sure = answer.sure ? "" : ", unsure"
                Output.line("\(n + 1). [\(source), score \(String(format: "%.3f", answer.score))\(sure)] \(Self.oneLine(answer.text))")
                // The passage around it, as the reader would look for it in the document.
                if answer.context != answer.text { Output.line("   \(Self.oneLine(answer.context))") }
                // Where the document defines the term the answer names its date by.
                if let definition = answer.definition {
                    Output.line("   \(definition.term), page \(definition.page): \(Self.oneLine(definition.text))")
                }
            }
            let s = response.stats
            Output.line("(\(s.mode)\(s.meaning ? ", words and meaning" : "")\(s.deep ? ", read deeply" : ""): \(s.blocksSelected) of \(s.blocksScanned) blocks, \(s.sentencesAttended) sentences read, \(String(format: "%.1f", s.elapsedMs)) ms)")
            if !s.needReprocess.isEmpty {
                Output.line("(not asked, analysed by an earlier engine: documents \(s.needReprocess.map(String.init).joined(separator: ", ")); run tome reprocess ID)")
            }
    }

    /// `--generate`: the model's answer as it is written, then its sources
    /// (the excerpts it cites, with pages and bytes); if the model fails,
    /// why, and the engine's own answers.
    func written(path: String, body: Data) async throws {
        var context: AskResponse? = nil, ended = false
        for try await line in try await connection.client.lines(path, method: .POST, body: .bytes(ByteBuffer(bytes: body))) {
            if json { Output.line(line); continue }
            guard let event = try? JSONDecoder().decode(AskEvent.self, from: Data(line.utf8)) else { continue }
            if event.event == .done || event.event == .error { ended = true }
            switch event.event {
            case .context:
                context = event.ask
            case .text:
                Output.text(OneLine.escapedKeepingLines(event.text ?? ""))
            case .done:
                guard let answer = event.answer else { continue }
                Output.line("")
                if !answer.citations.isEmpty { Output.line("sources:") }
                for cited in answer.citations {
                    let source = all ? "document \(cited.document), " : ""
                    let pages = cited.page == cited.lastPage ? "page \(cited.page)" : "pages \(cited.page)-\(cited.lastPage)"
                    Output.line("  [\(cited.n)] \(source)\(pages), bytes \(cited.start)-\(cited.end): \(Self.oneLine(String(cited.text.prefix(160))))")
                }
                if !answer.unknownCitations.isEmpty {
                    Output.line("(the model cited \(answer.unknownCitations.map { "[\($0)]" }.joined(separator: " ")), which it was not given: not sources)")
                }
                if answer.citations.isEmpty { Output.line("(the model cited no excerpt: check its answer against the passages below)") }
                if answer.finishReason == "length" { Output.line("(the answer reached [llm] max_reply_tokens and was cut)") }
                let tokens = answer.promptTokens.map { "\($0) prompt tokens" } ?? "~\(answer.promptTokensEstimate) prompt tokens"
                Output.line("(\(answer.model): \(context?.excerpts?.count ?? 0) excerpts, \(tokens), \(String(format: "%.1f", answer.elapsedMs / 1000)) s)")
                if answer.citations.isEmpty, let context { printAnswers(context) }
            case .error:
                Output.line("")
                Output.line("the language model gave no answer: \(OneLine.escaped(event.error?.message ?? "unknown error"))\(event.error?.retryable == true ? " (try again later)" : "")")
                if let context {
                    Output.line("the document's own answers:")
                    printAnswers(context)
                }
                throw ExitCode.failure
            }
        }
        if !json, !ended {
            Output.line("")
            throw Client.Failure(description: "the answer's stream ended before it was complete (tomed stopped?)")
        }
    }
}

extension Ask {
    /// A document's text for one line: white-space runs as one space, other control characters escaped (`OneLine`).
    static func oneLine(_ text: String) -> String {
        OneLine.escaped(text.split(whereSeparator: \.isWhitespace).joined(separator: " "))
    }
}

struct Engram: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Estimated documents, occurrences and salience of a phrase in the corpus (O(1)).")
    @OptionGroup var connection: Connection
    @Argument(help: "The phrase.") var phrase: [String]
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        try await reporting {
            let text = phrase.joined(separator: " ")
            let encoded = text.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+#"))) ?? text
            let estimate = try await connection.client.json(EngramEstimate.self, .GET, "/v1/engram?q=\(encoded)")
            if json { return try printJSON(estimate) }
            Output.line("\"\(estimate.phrase)\": in ~\(estimate.documents) of \(estimate.corpusDocuments) documents, ~\(estimate.occurrences) occurrences, salience \(String(format: "%.2f", estimate.salience))")
        }
    }
}

struct Search: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Keyword search over every document's sentences (SQLite FTS5, bm25).",
        discussion: """
            Words, "a phrase", prefix*, AND, OR, NOT, NEAR(a b), parentheses. Examples:
              tome search invoice overdue      tome search '"late payment" OR penalt*'      tome search --document 4 E-1234
            """
    )
    @OptionGroup var connection: Connection
    @Argument(help: "The query.") var words: [String]
    @Option(help: "Only this document.") var document: Int64?
    @Option(help: "How many hits (1…200).") var limit = 10
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        try await reporting {
            let query = words.joined(separator: " ")
            let encoded = query.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+#"))) ?? query
            var path = "/v1/search?q=\(encoded)&limit=\(limit)"
            if let document { path += "&document=\(document)" }
            let response = try await connection.client.json(SearchResponse.self, .GET, path)
            if json { return try printJSON(response) }
            if response.hits.isEmpty { Output.line("no match") }
            for hit in response.hits {
                let page = hit.page.map { ", page \($0)" } ?? ""
                Output.line("\(OneLine.escaped(hit.name)) (document \(hit.document)\(page), bytes \(hit.start)-\(hit.end)): \(Ask.oneLine(Self.plain(hit.snippet)))")
            }
        }
    }

    /// The HTML snippet for a terminal: each match in [brackets], entities decoded.
    static func plain(_ snippet: String) -> String {
        snippet.replacingOccurrences(of: "<mark>", with: "[").replacingOccurrences(of: "</mark>", with: "]")
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
    }
}

struct Answers: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The answers to a document's pipeline questions (Pipelines/NAME.toml, questions = [...]).",
        discussion: "With --again, its pipeline's current questions are answered again first (no new extraction)."
    )
    @OptionGroup var connection: Connection
    @Argument(help: "The document id.") var id: Int64
    @Flag(help: "Answer the pipeline's current questions again first.") var again = false
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        try await reporting {
            let response = again
                ? try await connection.client.json(AnswersResponse.self, .POST, "/v1/documents/\(id)/reprocess?stage=answers")
                : try await connection.client.json(AnswersResponse.self, .GET, "/v1/documents/\(id)/answers")
            if json { return try printJSON(response) }
            if response.answers.isEmpty { Output.line("pipeline \(response.pipeline) asks no questions") }
            if !response.current { Output.line("(being answered again: the pipeline's questions changed)") }
            for item in response.answers {
                Output.line(item.question)
                guard let answer = item.answer else {
                    Output.line("   no answer found")
                    continue
                }
                let sure = answer.sure == false ? ", unsure" : ""
                Output.line("   [page \(answer.page), score \(String(format: "%.3f", answer.score))\(sure)] \(Ask.oneLine(answer.text))")
                if let definition = answer.definition {
                    Output.line("   \(definition.term), page \(definition.page): \(Ask.oneLine(definition.text))")
                }
            }
            guard let written = response.written else { return }
            Output.line("")
            Output.line(WrittenOutput.heading(written, what: "answers"))
            for item in written.result ?? [] {
                Output.line(item.question)
                guard let answer = item.answer else {
                    Output.line("   no answer written" + (item.error.map { ": \(OneLine.escaped($0))" } ?? ""))
                    continue
                }
                Output.line("   " + Ask.oneLine(answer.text))
                Output.line("   " + WrittenOutput.sources(answer))
            }
        }
    }
}

/// How the CLI shows what the language model wrote of a document.
enum WrittenOutput {
    /// "Written by M at T:", or why there is nothing yet.
    static func heading<R>(_ written: Written<R>, what: String) -> String {
        switch written.state {
        case "done": return "Written by \(written.model ?? "the language model") at \(written.writtenAt ?? "?"):"
        case "failed": return "The language model's \(what): failed (\(written.error ?? "no reason given")); tome reprocess ID --written tries again"
        default:
            let why = written.error.map { ": \(OneLine.escaped($0))" } ?? ""
            return "The language model's \(what): pending (\(written.attempts) tries\(written.nextTry.map { ", next at \($0)" } ?? ""))\(why)"
        }
    }

    /// The excerpts an answer cites, by page.
    static func sources(_ answer: GeneratedAnswer) -> String {
        let cited = answer.citations.map { "[\($0.n)] p. \($0.page)" }.joined(separator: ", ")
        let unknown = answer.unknownCitations.isEmpty ? "" : "; cited but not given: " + answer.unknownCitations.map { "[\($0)]" }.joined(separator: " ")
        return "(sources: " + (cited.isEmpty ? "none cited" : cited) + unknown + ")"
    }
}

struct Summary: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "A document's summary, each sentence with its page; --sections adds one per section.")
    @OptionGroup var connection: Connection
    @Argument(help: "The document id.") var id: Int64
    @Flag(help: "Also the summary of each section of meaningful size.") var sections = false
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        try await reporting {
            let response = try await connection.client.json(SummaryResponse.self, .GET, "/v1/documents/\(id)/summary")
            if json { return try printJSON(response) }
            if response.summary.sentences.isEmpty { Output.line("no sentence of this document reads as prose to summarise") }
            Self.show(response.summary, indent: "")
            if sections {
                for section in response.sections {
                    Output.line("\n\(Ask.oneLine(section.title))" + (section.page.map { " (page \($0))" } ?? ""))
                    Self.show(section.summary, indent: "  ")
                }
            }
            guard let written = response.written else { return }
            Output.line("")
            Output.line(WrittenOutput.heading(written, what: "summary"))
            if let answer = written.result {
                Output.line(OneLine.escapedKeepingLines(answer.text))
                Output.line(WrittenOutput.sources(answer))
            }
        }
    }

    static func show(_ summary: SummaryResponse.Summary, indent: String) {
        for sentence in summary.sentences {
            Output.line(indent + (sentence.page.map { "[p. \($0)] " } ?? "") + Ask.oneLine(sentence.text))
        }
    }
}
