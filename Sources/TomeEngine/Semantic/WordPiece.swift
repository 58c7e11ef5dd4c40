/// BERT's uncased tokenizer, as all-MiniLM-L6-v2's `tokenizer.json` sets it
/// up (HuggingFace `BertNormalizer` + `BertPreTokenizer` + `WordPiece`), so
/// that the ids the semantic head looks up are the ones the encoder was
/// trained on. Golden-tested against the reference library's ids.
///
/// Normalise: drop U+0000, U+FFFD and control characters (Cc, Cf, Cn, Co
/// but tab, CR, LF), every white space becomes a space, a space goes around
/// each CJK ideograph, then NFD with the nonspacing marks (Mn) removed, then
/// lowercase. Pre-tokenise: split at spaces; every punctuation character
/// (ASCII punctuation or Unicode P*) is a word of its own. WordPiece: each
/// word of at most 100 characters is cut greedily from the left into the
/// longest pieces the vocabulary holds, pieces after the first written
/// "##piece"; a word any part of which no piece covers is `[UNK]`.
public struct WordPieceVocabulary: Sendable {
    public let size: Int
    public let unknown: Int32
    public let classToken: Int32
    public let separator: Int32
    public let padding: Int32
    /// Per id: the piece holds no letter or digit (punctuation, symbols), or is a bracketed special ("[CLS]", "[unused3]").
    public let isWordless: [Bool]
    /// The first piece of more than one character that is not special: BERT's
    /// vocabulary lists those by falling frequency from there ("the" is 1996),
    /// so t − firstWordPiece is piece t's frequency rank.
    public let firstWordPiece: Int
    /// The most characters a piece has ("##" left out): no longer candidate is looked up.
    public let longestPiece: Int
    /// FNV-1a 64 of a piece's UTF-8 (a continuation's with its "##") → id.
    private let ids: [UInt64: Int32]

    /// `vocab.txt`: one piece a line, its id the line number (from 0).
    public init(vocabText: String) throws(EngineError) {
        var ids: [UInt64: Int32] = [:]
        var wordless: [Bool] = []
        var firstWordPiece: Int?
        var longest = 1
        for line in vocabText.split(separator: "\n", omittingEmptySubsequences: false) {
            let piece = line.hasSuffix("\r") ? line.dropLast() : line
            if piece.isEmpty && !wordless.isEmpty && line.endIndex == vocabText.endIndex { break }  // the final newline
            let key = CanonicalForm.fnv1a(piece.utf8)
            if ids[key] != nil && !piece.isEmpty { throw .damaged("the vocabulary holds \"\(piece)\" twice or two pieces share a hash") }
            ids[key] = Int32(wordless.count)
            let special = piece.hasPrefix("[") && piece.hasSuffix("]") && piece.count > 2
            let body = piece.hasPrefix("##") ? piece.dropFirst(2) : piece
            longest = max(longest, body.unicodeScalars.count)
            if firstWordPiece == nil, !special, !piece.hasPrefix("##"), piece.count > 1 { firstWordPiece = wordless.count }
            wordless.append(special || !body.unicodeScalars.contains { $0.properties.isAlphabetic || $0.properties.numericType != nil })
        }
        let count = wordless.count
        guard count > 0, count < Int(Int32.max) else { throw .damaged("an empty vocabulary") }
        self.ids = ids
        isWordless = wordless
        self.firstWordPiece = firstWordPiece ?? 0
        longestPiece = longest
        size = count
        func special(_ name: String) throws(EngineError) -> Int32 {
            guard let id = ids[CanonicalForm.fnv1a(name.utf8)] else { throw .damaged("the vocabulary has no \(name)") }
            return id
        }
        unknown = try special("[UNK]")
        classToken = try special("[CLS]")
        separator = try special("[SEP]")
        padding = try special("[PAD]")
    }

    /// The id of a piece (`continued`: a piece after the first of its word), if the vocabulary holds it.
    @inline(__always)
    func id(_ bytes: UnsafeBufferPointer<UInt8>, continued: Bool) -> Int32? {
        var hash = CanonicalForm.offsetBasis
        if continued { for b in "##".utf8 { hash = (hash ^ UInt64(b)) &* CanonicalForm.prime } }
        for b in bytes { hash = (hash ^ UInt64(b)) &* CanonicalForm.prime }
        return ids[hash]
    }
}

/// Cuts text into WordPiece ids (see `WordPieceVocabulary`). Not thread-safe
/// (scratch buffers); one per worker.
public struct WordPieceTokenizer {
    public let vocabulary: WordPieceVocabulary
    static let maxWordCharacters = 100
    private var word: [UInt8] = []
    /// Byte offset in `word` where each of its characters starts, and its end.
    private var starts: [Int] = []
    private var normalised: [UInt8] = []

    public init(vocabulary: WordPieceVocabulary) {
        self.vocabulary = vocabulary
    }

    /// The ids of `text`, without [CLS] and [SEP].
    public mutating func encode(_ text: String) -> [Int32] {
        var out: [Int32] = []
        var copy = text
        copy.withUTF8 { encode($0, range: 0..<$0.count, into: &out) }
        return out
    }

    /// Appends the ids of `bytes[range]` to `out`.
    public mutating func encode(_ bytes: UnsafeBufferPointer<UInt8>, range: Range<Int>, into out: inout [Int32]) {
        var i = range.lowerBound
        word.removeAll(keepingCapacity: true)
        starts.removeAll(keepingCapacity: true)
        while i < range.upperBound {
            let (scalar, length) = Tokenizer.decode(bytes, at: i, end: range.upperBound)
            i += length
            let v = scalar.value
            if v < 0x80 {
                // ASCII: the whole pipeline is a byte test and a lowercase.
                let b = UInt8(v)
                if b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D { flush(into: &out); continue }
                if b < 0x20 || b == 0x7F { continue }
                if Self.isASCIIPunctuation(b) { flush(into: &out); starts.append(0); word.append(b); flush(into: &out); continue }
                starts.append(word.count)
                word.append(b >= 0x41 && b <= 0x5A ? b | 0x20 : b)
                continue
            }
            if v == 0xFFFD { continue }
            // As the reference: control characters go first (U+0085 and U+200B join the words around them), then spaces.
            let p = scalar.properties
            switch p.generalCategory {
            case .control, .format, .unassigned, .privateUse: continue
            default: break
            }
            if p.isWhitespace { flush(into: &out); continue }
            if Self.isChineseCharacter(v) { flush(into: &out); append(scalar); flush(into: &out); continue }
            if Self.isPunctuation(p.generalCategory) { flush(into: &out); append(scalar); flush(into: &out); continue }
            append(scalar)
        }
        flush(into: &out)
    }

    /// Adds a non-ASCII character to the current word: NFD, nonspacing marks
    /// dropped, lowercased (a character may become several, or none).
    private mutating func append(_ scalar: Unicode.Scalar) {
        let decomposed = String(scalar).decomposedStringWithCanonicalMapping
        var kept = String.UnicodeScalarView()
        for s in decomposed.unicodeScalars where s.properties.generalCategory != .nonspacingMark { kept.append(s) }
        for s in String(kept).lowercased().unicodeScalars {
            // A lowercase that makes punctuation or space of a letter does not happen in Unicode; treat what comes as a letter.
            starts.append(word.count)
            word.append(contentsOf: String(s).utf8)
        }
    }

    /// Cuts the current word into pieces (greedy longest match from the left).
    private mutating func flush(into out: inout [Int32]) {
        defer { word.removeAll(keepingCapacity: true); starts.removeAll(keepingCapacity: true) }
        guard !starts.isEmpty else { return }
        guard starts.count <= Self.maxWordCharacters else { out.append(vocabulary.unknown); return }
        let before = out.count
        let characters = starts.count
        word.withUnsafeBufferPointer { bytes in
            var first = 0
            while first < characters {
                // No piece is longer than the vocabulary's longest: a long run (base64, hex) costs linear time.
                var last = min(characters, first + vocabulary.longestPiece)
                var found: Int32?
                while last > first {
                    let end = last < characters ? starts[last] : bytes.count
                    if let id = vocabulary.id(UnsafeBufferPointer(rebasing: bytes[starts[first]..<end]), continued: first > 0) {
                        found = id
                        break
                    }
                    last -= 1
                }
                guard let id = found else {
                    out.removeSubrange(before...)
                    out.append(vocabulary.unknown)
                    return
                }
                out.append(id)
                first = last
            }
        }
    }

    static func isASCIIPunctuation(_ b: UInt8) -> Bool {
        (0x21...0x2F).contains(b) || (0x3A...0x40).contains(b) || (0x5B...0x60).contains(b) || (0x7B...0x7E).contains(b)
    }

    static func isPunctuation(_ category: Unicode.GeneralCategory) -> Bool {
        switch category {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
             .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    /// BERT's "Chinese character" ranges: CJK Unified Ideographs and their
    /// extensions and compatibility blocks (not kana or hangul).
    static func isChineseCharacter(_ v: UInt32) -> Bool {
        (0x4E00...0x9FFF).contains(v) || (0x3400...0x4DBF).contains(v) || (0x20000...0x2A6DF).contains(v)
            || (0x2A700...0x2B73F).contains(v) || (0x2B740...0x2B81F).contains(v) || (0x2B820...0x2CEAF).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0x2F800...0x2FA1F).contains(v)
    }
}
