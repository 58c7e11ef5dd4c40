import Crypto
import Foundation
import TomeEngine
import TomeExtract

/// A document as the analysing child hands it to the daemon: what extraction
/// found and what the engine made of it, ready to store.
///
/// `tomed extract --record` writes it to stdout, little-endian:
///
///     "TOMEREC" 4:u8  source:64 bytes (SHA-256 of the file read, hex)
///     header:u32 len + JSON (the ExtractedDocument, text empty)
///     text:u64 len + UTF-8  index:u64 len + IndexArchive  engram:u64 len + IndexArchive
///     summary:u64 len + IndexArchive  extractions:u64 len + IndexArchive
///
/// Binary because the text and the index are most of it: JSON would escape
/// megabytes of text on one side and parse them on the other. The daemon
/// decodes it with every length checked and the index validated against
/// the text, so a child that wrote garbage fails its document, not the daemon.
/// The file's hash lets the daemon check that the bytes the child read are
/// the bytes it claimed and hashed (a writer that kept the file open could
/// have changed them since).
public struct ProcessedDocument: Sendable {
    public var document: ExtractedDocument
    public var analysis: Analysis
    /// SHA-256 of the file the child read, in lowercase hex.
    public var sourceSHA256: String

    public init(document: ExtractedDocument, analysis: Analysis, sourceSHA256: String) {
        self.document = document
        self.analysis = analysis
        self.sourceSHA256 = sourceSHA256
    }

    /// SHA-256 of `bytes`, in lowercase hex, as the store keys content.
    public static func sha256(_ bytes: [UInt8]) -> String {
        FolderMoves.hex(SHA256.hash(data: bytes))
    }

    static let magic = Array("TOMEREC".utf8)

    public func encoded() throws -> [UInt8] {
        var header = document
        header.text = ""
        var w = IndexArchive.Writer()
        w.bytes(Self.magic)
        w.bytes([4])
        let source = Array(sourceSHA256.utf8)
        guard source.count == 64 else { throw EngineError.damaged("the source hash is not SHA-256 in hex") }
        w.bytes(source)
        let json = Array(try JSONEncoder().encode(header))
        w.int(UInt32(json.count))
        w.bytes(json)
        for part in [Array(document.text.utf8), IndexArchive.encode(analysis.index), IndexArchive.encode(analysis.engram),
                     IndexArchive.encode(analysis.summary), IndexArchive.encode(analysis.extractions)] {
            w.int(UInt64(part.count))
            w.bytes(part)
        }
        return w.out
    }

    public init(decoding bytes: [UInt8]) throws {
        var r = IndexArchive.Reader(bytes)
        guard try r.bytes(Self.magic.count) == Self.magic, try r.bytes(1) == [4] else { throw EngineError.damaged("not a processed document") }
        let source = String(decoding: try r.bytes(64), as: UTF8.self)
        let headerLength = Int(try r.int(UInt32.self))
        var document = try JSONDecoder().decode(ExtractedDocument.self, from: Data(try r.bytes(headerLength)))
        let text = try r.bytes(try r.count())
        document.text = String(decoding: text, as: UTF8.self)
        let index = try IndexArchive.decodeIndex(try r.bytes(try r.count()), textBytes: document.text.utf8.count)
        let engram = try IndexArchive.decodeEngram(try r.bytes(try r.count()))
        let summary = try IndexArchive.decodeSummary(try r.bytes(try r.count()), unitCount: index.unitCount)
        let extractions = try IndexArchive.decodeExtractions(try r.bytes(try r.count()), textBytes: document.text.utf8.count)
        guard r.atEnd else { throw EngineError.damaged("bytes after the processed document") }
        self.init(document: document, analysis: Analysis(index: index, engram: engram, summary: summary, extractions: extractions),
                  sourceSHA256: source)
    }
}
