import ArgumentParser
import Foundation
import Glibc
import TomeAPI

struct Add: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Send files to the daemon (it writes them into its spool).")
    @OptionGroup var connection: Connection
    @Argument(help: "The files to add.") var files: [String]
    @Option(help: "Run them through this pipeline (into the spool subfolder of its name); refused when tomed has no such pipeline.") var pipeline: String?
    @Flag(help: "Wait until each is processed, with a progress bar per file; exit 1 if any failed.") var wait = false
    @Flag(help: "Print JSON (one object per file).") var json = false
    @Option(help: "The document's name, for one file (a pipe's own is a number: tome add --name report.pdf <(curl -s URL)).") var name: String?

    func validate() throws {
        if let name {
            guard files.count == 1 else { throw ValidationError("--name names one file; \(files.count) were given") }
            guard !name.isEmpty, !name.contains("/") else { throw ValidationError("--name is a file name, without a folder (use --pipeline for that)") }
        }
    }

    struct Added: Encodable {
        var file: String
        var id: Int64
        var duplicate: Bool
        /// The document's status; nil for a duplicate whose document was not read (no --wait), shown as "duplicate".
        var status: DocumentStatus?
        var error: DocumentError?

        enum CodingKeys: String, CodingKey { case file, id, duplicate, status, error }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(file, forKey: .file)
            try container.encode(id, forKey: .id)
            try container.encode(duplicate, forKey: .duplicate)
            try container.encode(status?.rawValue ?? "duplicate", forKey: .status)
            try container.encodeIfPresent(error, forKey: .error)
        }
    }

    func run() async throws {
        let client = connection.client
        var added: [Added] = []
        try await reporting {
            // A subfolder with no pipeline of its name runs `default`: a mistyped --pipeline would do that quietly.
            if let pipeline {
                let loaded = try await client.json(DaemonStatus.self, .GET, "/v1/status").pipelines
                // The first folder names the pipeline ("leases/2024" runs leases).
                let name = pipeline.split(separator: "/").first.map(String.init) ?? pipeline
                guard loaded.contains(name) else {
                    throw Client.Failure(description: "tomed has no pipeline \(name) (it has: \(loaded.joined(separator: ", "))); "
                                         + "add \(name).toml to its pipelines folder, or leave --pipeline out")
                }
            }
            for file in files {
                // Checked before anything is sent: a folder, a missing or unreadable file is said so at once.
                // A pipe (`tome add <(curl …)`) is sent as it comes, its length unknown.
                var info = stat()
                guard stat(file, &info) == 0 else { throw Client.Failure.cannotRead(file, errno) }
                guard info.st_mode & S_IFMT != S_IFDIR else { throw Self.folder(file) }
                guard access(file, R_OK) == 0 else { throw Client.Failure.cannotRead(file, errno) }
                let regular = info.st_mode & S_IFMT == S_IFREG
                let name = (pipeline.map { $0 + "/" } ?? "") + (self.name ?? (file as NSString).lastPathComponent)
                let encoded = name.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+"))) ?? name
                do {
                    let accepted = try await client.json(Accepted.self, .POST, "/v1/documents?name=\(encoded)",
                                                         body: regular ? .stream(FileChunks(path: file, size: Int(info.st_size)), length: .known(Int64(info.st_size)))
                                                             : .stream(FileChunks(path: file, size: nil), length: .unknown))
                    added.append(Added(file: file, id: accepted.id, duplicate: false, status: accepted.status))
                    if !json && !wait { Output.line("\(file): document \(accepted.id), queued") }
                } catch let failure as Client.Failure where failure.code == .duplicate {
                    guard let id = failure.id else { throw failure }
                    added.append(Added(file: file, id: id, duplicate: true, status: nil))
                    if !json && !wait { Output.line("\(file): already document \(id)") }
                }
            }
            if wait { try await follow(&added, client: client) }
            if json { try printJSON(added) }
        }
        if added.contains(where: { $0.status == .failed }) { throw ExitCode.failure }
    }

    static func folder(_ file: String) -> Client.Failure {
        Client.Failure(description: "\(file) is a folder: add its files (tome add \(file)/*), or drop it into the spool")
    }

    /// Polls each document until it is done or failed, drawing a bar per file.
    private func follow(_ added: inout [Added], client: Client) async throws {
        let tty = isatty(STDERR_FILENO) != 0 && !json
        var drawn = 0
        while true {
            var lines: [String] = []
            for index in added.indices {
                let info = try await client.json(DocumentInfo.self, .GET, "/v1/documents/\(added[index].id)")
                added[index].status = info.status
                added[index].error = info.error
                lines.append(Format.bar(name: added[index].file, info: info, duplicate: added[index].duplicate))
            }
            let finished = added.allSatisfy { $0.status?.isFinished == true }
            if tty {
                if drawn > 0 { Output.error("\u{1B}[\(drawn)A") }
                Output.error(lines.map { "\u{1B}[2K" + $0 + "\n" }.joined())
                drawn = lines.count
            }
            if finished {
                if !tty && !json { for line in lines { Output.line(line) } }
                return
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }
}

struct Watch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Follow the queue live: one line per event, until interrupted or the daemon stops (exit 1).")
    @OptionGroup var connection: Connection
    @Flag(help: "Print the events as they come (newline-delimited JSON).") var json = false

    func run() async throws {
        try await reporting {
            let client = connection.client
            let status = try await client.json(DaemonStatus.self, .GET, "/v1/status")
            if !json {
                Output.line("queue: \(status.queueLength) · workers: \(status.workersBusy)/\(status.workers) busy · watching (Ctrl-C to stop)")
            }
            for try await line in try await client.lines("/v1/events") {
                // A heartbeat is not shown; it is when a reader that went away while all was quiet is noticed.
                if line.contains(#""event":"\#(EventKind.heartbeat.rawValue)""#) {
                    Output.endIfNobodyReads()
                    continue
                }
                if json {
                    Output.line(line)
                } else if let event = try? JSONDecoder().decode(Event.self, from: Data(line.utf8)) {
                    Output.line(Format.event(event))
                }
            }
            // The stream ends only when the daemon does (a stop, a restart): say so, and exit 1.
            throw Client.Failure(description: "tomed closed the event stream (it stopped or restarted)")
        }
    }
}

/// How the CLI shows things to people.
enum Format {
    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds)
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m \(s % 60)s" }
        return "\(s / 3600)h \(s % 3600 / 60)m"
    }

    static func progress(_ p: DocumentProgress) -> String {
        if let done = p.done, let total = p.total { return "\(p.stage) \(done)/\(total)" }
        return p.stage.rawValue
    }

    /// The pages read by OCR: "2 pages read by OCR: p1 57% flagged, p2 94% (turned 90°)".
    static func ocr(_ pages: [OCRPage]) -> String {
        "\(pages.count) page\(pages.count == 1 ? "" : "s") read by OCR: " + pages.map { p in
            "p\(p.page) \(p.confidence)%" + (p.flagged ? " flagged" : "") + (p.rotation != 0 ? " (turned \(p.rotation * 90)°)" : "")
        }.joined(separator: ", ")
    }

    static func bar(name: String, info: DocumentInfo, duplicate: Bool) -> String {
        let width = 24
        let fraction: Double
        switch info.status {
        case .done, .failed: fraction = 1
        case .processing: fraction = info.progress?.fraction ?? 0
        case .queued: fraction = 0
        }
        let filled = Int((fraction * Double(width)).rounded())
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        var detail = info.status.rawValue
        if duplicate && info.status == .done { detail = "already document \(info.id)" }
        if let progress = info.progress, info.status == .processing { detail = Format.progress(progress) }
        if let error = info.error, info.status == .failed { detail = "failed: \(error.code): \(error.message)" }
        return "[\(bar)] \(String(format: "%3d", Int(fraction * 100)))% \(OneLine.escaped(name)) #\(info.id) \(OneLine.escaped(detail))"
    }

    static func event(_ e: Event) -> String {
        let time = e.time.count >= 19 ? String(e.time.dropFirst(11).prefix(8)) : e.time
        var line = "\(time) \(e.event.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) #\(e.id) \(OneLine.escaped(e.name))"
        if let p = e.progress { line += " " + progress(p) }
        if let error = e.error { line += " (\(error.code): \(OneLine.escaped(error.message)))" }
        if let of = e.duplicateOf { line += " (already document \(of))" }
        return line
    }

    /// Columns padded to their widest cell; control characters in a cell
    /// (a file named with a line break) escaped, so that a row stays a row.
    static func table(header: [String], rows: [[String]]) -> String {
        let all = [header] + rows.map { $0.map(OneLine.escaped) }
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
