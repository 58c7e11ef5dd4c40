import Foundation
import TOMLKit
import TomeEngine
import TomeExtract
import TomeStore

/// One pipeline: what is done to the documents of a spool subfolder
/// (`PIPELINES_DIR/NAME.toml`; a file in `spool/NAME/` runs through it).
struct Pipeline: Sendable, Equatable {
    var name: String
    var description = ""
    /// Asked of every document of the pipeline once it is stored; the best
    /// answer to each, with its citation, is kept with the document.
    var questions: [String] = []
    /// The extraction experts to run (all by default).
    var experts: Set<ExtractionKind> = Set(ExtractionKind.allCases)
    /// How ambiguous numeric dates (`03/04/2025`) are read; nil: as the
    /// document's other dates are written, else day first (and each says so).
    var dateOrder: DateOrder?
    /// Key phrases kept per document.
    var keyphrases = 20
    /// Sentences in each document's summary, and in each section's (0: none).
    var summarySentences = 5
    var sectionSentences = 3
    /// Questions the summary must answer when the document does (`summary_covers`):
    /// each one's sure first answer joins the summary, the probes choose the rest.
    var summaryCovers: [String] = []
    /// When pages are read by OCR (`ocr`: auto, always, never), in which
    /// languages (`ocr_languages`), at what resolution (`ocr_dpi`).
    var ocrMode: OCRSettings.Mode = .auto
    var ocrLanguages = ["eng"]
    var ocrDPI = 300
    /// What the language model (`[llm]`) writes of each document once it is
    /// stored, as a stage of its own: a summary (`written_summary`), answers
    /// to `questions` (`written_answers`). Off by default.
    var written: [WrittenWork.Kind] = []

    static let maxQuestions = 50
    static let maxQuestionBytes = 1000
    static let maxKeyphrases = 200

    /// What the analysing child needs of it.
    var summary: SummaryParameters {
        var p = SummaryParameters()
        (p.sentences, p.sectionSentences, p.covers) = (summarySentences, sectionSentences, summaryCovers)
        return p
    }

    /// Its OCR settings, with the daemon's limits.
    func ocr(pageSeconds: Double, maxPages: Int) -> OCRSettings {
        OCRSettings(mode: ocrMode, languages: ocrLanguages, dpi: ocrDPI, pageSeconds: pageSeconds, maxPages: maxPages)
    }

    var extraction: ExtractionParameters {
        var p = ExtractionParameters()
        p.kinds = experts
        p.dateOrder = dateOrder
        p.keyphrases = keyphrases
        return p
    }
}

/// Pipeline definitions: `PIPELINES_DIR/NAME.toml`. A file dropped into the
/// spool subfolder `NAME/` runs through pipeline NAME when its definition
/// exists, through `default` otherwise.
///
/// Each file is parsed on start and on SIGHUP, so a broken one is reported at
/// once, with its file, line and key, rather than when a document needs it.
/// A definition that breaks on SIGHUP keeps its last good version.
enum Pipelines {
    struct Problem: Error, CustomStringConvertible {
        var file: String
        var line: Int?
        var key: String?
        var message: String
        var description: String {
            [file, line.map { "line \($0)" }, key].compactMap { $0 }.joined(separator: ": ") + ": " + message
        }
    }

    /// The valid definitions in `directory` (always with `default`), and what
    /// is wrong with the others; a broken file whose pipeline is in
    /// `previous` keeps that version.
    static func load(directory: String, previous: [String: Pipeline] = [:]) -> (pipelines: [String: Pipeline], problems: [Problem]) {
        var pipelines: [String: Pipeline] = ["default": previous["default"] ?? Pipeline(name: "default")]
        var problems: [Problem] = []
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for entry in entries.sorted() where entry.hasSuffix(".toml") && !entry.hasPrefix(".") {
            let path = directory + "/" + entry, name = String(entry.dropLast(5))
            do {
                pipelines[name] = try parse(name: name, text: String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self),
                                            file: path)
            } catch let problem as Problem {
                problems.append(problem)
                if let kept = previous[name] { pipelines[name] = kept }
            } catch {
                problems.append(Problem(file: path, message: "\(error)"))
                if let kept = previous[name] { pipelines[name] = kept }
            }
        }
        return (pipelines, problems)
    }

    /// One definition; throws a `Problem` naming the line and key.
    static func parse(name: String, text: String, file: String) throws -> Pipeline {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw Problem(file: file, line: error.source.begin.line, message: error.description)
        }
        func problem(_ key: String, _ message: String) -> Problem {
            Problem(file: file, line: line(of: key, in: text), key: key, message: message)
        }
        func strings(_ key: String) throws -> [String] {
            guard let value = table[key] else { return [] }
            let strings = value.array?.compactMap { $0.string }
            guard let strings, strings.count == value.array?.count else { throw problem(key, "must be a list of strings") }
            return strings
        }
        var pipeline = Pipeline(name: name)
        for key in table.keys.sorted() {
            switch key {
            case "description":
                guard let description = table[key]?.string else { throw problem(key, "must be a string") }
                pipeline.description = description
            case "questions", "summary_covers":
                let questions = try strings(key)
                guard questions.count <= Pipeline.maxQuestions else { throw problem(key, "at most \(Pipeline.maxQuestions) questions") }
                if let bad = questions.first(where: { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
                    || $0.utf8.count > Pipeline.maxQuestionBytes }) {
                    throw problem(key, "each question must have words and at most \(Pipeline.maxQuestionBytes) bytes (got \(bad.debugDescription.prefix(60)))")
                }
                if key == "questions" { pipeline.questions = questions } else { pipeline.summaryCovers = questions }
            case "summary_sentences", "section_sentences":
                guard let value = table[key]?.int, (0...SummaryParameters.maxSentences).contains(value) else {
                    throw problem(key, "must be a whole number from 0 to \(SummaryParameters.maxSentences)")
                }
                if key == "summary_sentences" { pipeline.summarySentences = value } else { pipeline.sectionSentences = value }
            case "experts":
                let names = try strings(key)
                if let unknown = names.first(where: { ExtractionKind(rawValue: $0) == nil }) {
                    throw problem(key, "unknown expert \"\(unknown)\" (known: \(ExtractionKind.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                pipeline.experts = Set(names.compactMap(ExtractionKind.init(rawValue:)))
            case "date_order":
                guard let value = table[key]?.string, let order = DateOrder(rawValue: value) else {
                    throw problem(key, "must be \"dmy\" or \"mdy\" (a date that starts with a four-digit year is always read year first)")
                }
                pipeline.dateOrder = order
            case "written_summary", "written_answers":
                guard let on = table[key]?.bool else { throw problem(key, "must be true or false") }
                let kind: WrittenWork.Kind = key == "written_summary" ? .summary : .answers
                pipeline.written.removeAll { $0 == kind }
                if on { pipeline.written.append(kind) }
                pipeline.written.sort { $0.rawValue > $1.rawValue }  // summary first
            case "keyphrases":
                guard let value = table[key]?.int, (0...Pipeline.maxKeyphrases).contains(value) else {
                    throw problem(key, "must be a whole number from 0 to \(Pipeline.maxKeyphrases)")
                }
                pipeline.keyphrases = value
            case "ocr":
                guard let value = table[key]?.string, let mode = OCRSettings.Mode(rawValue: value) else {
                    throw problem(key, "must be \"auto\" (pages without a usable text layer, and images), \"always\" or \"never\"")
                }
                pipeline.ocrMode = mode
            case "ocr_languages":
                let languages = try strings(key)
                guard !languages.isEmpty else { throw problem(key, "must name at least one language (\"eng\", \"deu\", \"chi_sim\"…)") }
                let missing = OCREngine.missingLanguages(languages)
                guard missing.isEmpty else {
                    throw problem(key, "no OCR model for \(missing.joined(separator: ", ")) in \(OCREngine.modelFolder) (install "
                                  + missing.map(OCREngine.debianPackage).joined(separator: ", ") + ")")
                }
                pipeline.ocrLanguages = languages
            case "ocr_dpi":
                guard let value = table[key]?.int, OCRSettings.dpiRange.contains(value) else {
                    throw problem(key, "must be a whole number from \(OCRSettings.dpiRange.lowerBound) to \(OCRSettings.dpiRange.upperBound)")
                }
                pipeline.ocrDPI = value
            default:
                throw problem(key, "unknown key (known: description, questions, summary_sentences, section_sentences, summary_covers, experts, "
                              + "date_order, keyphrases, ocr, ocr_languages, ocr_dpi, written_summary, written_answers)")
            }
        }
        return pipeline
    }

    /// The line where `key` is set (`key =` at the start of a line), if it is.
    static func line(of key: String, in text: String) -> Int? {
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.hasPrefix(key), trimmed.dropFirst(key.count).drop(while: { $0 == " " || $0 == "\t" }).hasPrefix("=") { return n + 1 }
        }
        return nil
    }

    /// The pipeline of a file at `relativePath` in the spool: its first folder
    /// when a definition of that name exists.
    static func pipeline(forRelativePath relativePath: String, known: Set<String>) -> String {
        let parts = relativePath.split(separator: "/")
        guard parts.count > 1, known.contains(String(parts[0])) else { return "default" }
        return String(parts[0])
    }
}

extension DaemonConfig {
    /// What is wrong with the pipeline definitions in `directory`, one line each.
    public static func pipelineProblems(in directory: String) -> [String] {
        Pipelines.load(directory: directory).problems.map(\.description)
    }
}
