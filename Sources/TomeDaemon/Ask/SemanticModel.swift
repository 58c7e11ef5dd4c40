import Foundation
import TomeAPI
import TomeEngine

/// The semantic head as the daemon finds it in `[engine] model_dir`:
/// loaded from the folder `make model` fills (vocab.txt and the distilled
/// static vectors), or off with the reason. The daemon loads it once at
/// start for questions; each analysing child loads it again from the same
/// folder (the request names it) for the units' vectors.
public struct SemanticModel: Sendable {
    /// The model the Makefile installs.
    public static let name = "all-MiniLM-L6-v2"

    public let head: SemanticHead?
    public let status: MeaningStatus
    /// The full encoder's weights (`model.safetensors`), for deep asks: read
    /// at the first one (`AskService`), not at start — 87 MiB a daemon that
    /// is never asked deeply does not hold.
    public let encoderPath: String?

    /// The encoder's weights in the model's folder.
    static let encoderFileName = "model.safetensors"

    /// No semantic head: asks match words only.
    public static let off = SemanticModel(head: nil, status: .off("not configured ([engine] model_dir is empty)"))

    init(head: SemanticHead?, status: MeaningStatus, encoderPath: String? = nil) {
        self.head = head
        self.status = status
        self.encoderPath = encoderPath
    }

    /// Loads the head from `folder`; a folder that is missing or incomplete
    /// is not an error (Tome is then lexical and says so), damaged files are reported the same way.
    public static func load(folder: String) -> SemanticModel {
        guard !folder.isEmpty else { return .off }
        let dir = URL(fileURLWithPath: folder)
        let vocab = dir.appendingPathComponent("vocab.txt"), vectors = dir.appendingPathComponent(StaticVectors.fileName)
        for file in [vocab, vectors] where !FileManager.default.fileExists(atPath: file.path) {
            return SemanticModel(head: nil, status: .off("\(file.path) is missing (`make model`, then `make install`, puts it there)", path: folder))
        }
        do {
            // Only the header and the projected vectors: the encoder's own 384-wide ones are never read here.
            let file = try FileHandle(forReadingFrom: vectors)
            defer { try? file.close() }
            let header = Array(try file.read(upToCount: StaticVectors.headerLength) ?? Data())
            guard let length = StaticVectors.projectedLength(header: header) else {
                return SemanticModel(head: nil, status: .off("\(vectors.path) is not static vectors of this version (run `make model` again)", path: folder))
            }
            let rest = Array(try file.read(upToCount: length - header.count) ?? Data())
            let head = try SemanticHead(vocabText: try String(contentsOf: vocab, encoding: .utf8), vectorBytes: header + rest)
            let encoder = dir.appendingPathComponent(encoderFileName).path
            let deep = FileManager.default.isReadableFile(atPath: encoder)
            return SemanticModel(head: head, status: MeaningStatus(available: true, model: name, path: folder, reason: nil, deep: deep),
                                 encoderPath: deep ? encoder : nil)
        } catch let error as EngineError {
            return SemanticModel(head: nil, status: .off("\(folder): \(error.message)", path: folder))
        } catch {
            return SemanticModel(head: nil, status: .off("\(folder): \(error.localizedDescription)", path: folder))
        }
    }

    /// The folder the analysing child is to load the head from (nil: index lexically).
    var folderForChildren: String? { head == nil ? nil : status.path }
}
