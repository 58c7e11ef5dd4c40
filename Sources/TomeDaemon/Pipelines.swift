import Foundation
import TOMLKit

/// Pipeline definitions: `PIPELINES_DIR/NAME.toml`. A file dropped into the
/// spool subfolder `NAME/` runs through pipeline NAME when its definition
/// exists, through `default` otherwise.
///
/// Today a definition holds only `description`; the engine's settings will
/// join it. Each file is parsed on start and on SIGHUP, so a broken one is
/// reported at once (and left out) rather than when a document needs it.
enum Pipelines {
    struct Problem: Error, CustomStringConvertible {
        var file: String
        var message: String
        var description: String { "\(file): \(message)" }
    }

    /// The names of the valid definitions in `directory` (always with
    /// `default`), and what is wrong with the others.
    static func load(directory: String) -> (names: Set<String>, problems: [Problem]) {
        var names: Set<String> = ["default"]
        var problems: [Problem] = []
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for entry in entries.sorted() where entry.hasSuffix(".toml") && !entry.hasPrefix(".") {
            let path = directory + "/" + entry
            do {
                let table = try TOMLTable(string: String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self))
                if let unknown = table.keys.sorted().first(where: { $0 != "description" }) {
                    problems.append(Problem(file: path, message: "\(unknown): unknown key"))
                    continue
                }
                names.insert(String(entry.dropLast(5)))
            } catch let error as TOMLParseError {
                problems.append(Problem(file: path, message: "line \(error.source.begin.line): \(error.description)"))
            } catch {
                problems.append(Problem(file: path, message: "\(error)"))
            }
        }
        return (names, problems)
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
