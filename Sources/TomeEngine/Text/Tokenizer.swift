/// Word segmentation over UTF-8 bytes, after UAX #29 in the parts that
/// matter for search: letters, digits and marks make words; an apostrophe or
/// a full stop between letters, and a full stop or comma between digits,
/// stay inside (`don't`, `U.S`, `1,234.56`); `_` joins (`x86_64`). Every Han
/// ideograph and every kana is a token of its own. Each other visible
/// character (punctuation, symbols, an emoji with its modifiers) is a token.
/// White space separates and is not a token.
///
/// Foundation's `.byWords` enumeration does not exist on Linux, and
/// `Character` iteration is far too slow for millions of tokens: this walks
/// the bytes once, decoding a scalar only where a byte is not ASCII.
public struct Token: Sendable, Equatable {
    public enum Kind: UInt8, Sendable {
        case word, number, ideograph, punctuation
    }

    /// UTF-8 byte range in the text.
    public var start: Int32
    public var end: Int32
    public var kind: Kind
    /// True when the word starts with an uppercase letter (names, headings).
    public var capitalized: Bool
    /// The canonical id (see `CanonicalForm`).
    public var id: UInt64

    /// Content tokens (words, numbers, ideographs) feed Engram and the indexer.
    public var isContent: Bool { kind != .punctuation }
}

public struct Tokenizer {
    private var canonical = CanonicalForm()

    public init() {}

    /// Tokens of `text[range]` (byte offsets), appended to `tokens`.
    public mutating func tokenize(_ bytes: UnsafeBufferPointer<UInt8>, range: Range<Int>, into tokens: inout [Token]) {
        var i = range.lowerBound
        let end = range.upperBound
        while i < end {
            let (scalar, length) = Self.decode(bytes, at: i, end: end)
            let cls = CharacterClass.of(scalar)
            switch cls {
            case .space, .control:
                i += length
            case .ideograph:
                tokens.append(Token(start: Int32(i), end: Int32(i + length), kind: .ideograph, capitalized: false,
                                    id: canonical.id(bytes, i..<(i + length), ascii: false)))
                i += length
            case .letter, .digit, .mark, .connector:
                var j = i + length
                var ascii = scalar.value < 0x80
                var allDigits = cls == .digit
                var previous = cls
                while j < end {
                    let (next, nextLength) = Self.decode(bytes, at: j, end: end)
                    let nextClass = CharacterClass.of(next)
                    switch nextClass {
                    case .letter, .digit, .mark, .connector:
                        break
                    case .midLetter, .midNumber, .midNumLet:
                        // Joins only between two word characters of the right kinds.
                        guard j + nextLength < end else { break }
                        let (after, _) = Self.decode(bytes, at: j + nextLength, end: end)
                        let afterClass = CharacterClass.of(after)
                        let lettersAround = (previous == .letter || previous == .mark) && afterClass == .letter
                        let digitsAround = previous == .digit && afterClass == .digit
                        let joins = (nextClass == .midLetter && lettersAround) || (nextClass == .midNumber && digitsAround)
                            || (nextClass == .midNumLet && (lettersAround || digitsAround))
                        if joins {
                            ascii = ascii && next.value < 0x80
                            j += nextLength
                            previous = nextClass
                            continue
                        }
                    default:
                        break
                    }
                    guard [.letter, .digit, .mark, .connector].contains(nextClass) else { break }
                    ascii = ascii && next.value < 0x80
                    if nextClass == .letter { allDigits = false }
                    previous = nextClass
                    j += nextLength
                }
                // Unicode property lookups cost more than tokenizing: ASCII answers from the byte.
                let capitalized = scalar.value < 0x80 ? (0x41...0x5A).contains(scalar.value) : scalar.properties.isUppercase
                tokens.append(Token(start: Int32(i), end: Int32(j), kind: allDigits ? .number : .word, capitalized: capitalized,
                                    id: canonical.id(bytes, i..<j, ascii: ascii)))
                i = j
            default:
                // Punctuation and symbols: one token each; an emoji keeps its
                // variation selectors, skin tones and ZWJ-joined parts.
                var j = i + length
                while j < end {
                    let (next, nextLength) = Self.decode(bytes, at: j, end: end)
                    let joiner = next.value == 0x200D || (0xFE00...0xFE0F).contains(next.value) || (0x1F3FB...0x1F3FF).contains(next.value)
                    if joiner {
                        j += nextLength
                        if next.value == 0x200D, j < end { j += Self.decode(bytes, at: j, end: end).1 }
                    } else {
                        break
                    }
                }
                tokens.append(Token(start: Int32(i), end: Int32(j), kind: .punctuation, capitalized: false,
                                    id: canonical.id(bytes, i..<j, ascii: scalar.value < 0x80 && j == i + 1)))
                i = j
            }
        }
    }

    /// Tokens of a whole string (tests, questions).
    public mutating func tokenize(_ text: String) -> [Token] {
        var tokens: [Token] = []
        var copy = text
        copy.withUTF8 { bytes in tokenize(bytes, range: 0..<bytes.count, into: &tokens) }
        return tokens
    }

    /// The scalar at `i` and its length in bytes; an invalid byte decodes as U+FFFD of length 1.
    @inline(__always)
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int, end: Int) -> (Unicode.Scalar, Int) {
        let b0 = bytes[i]
        if b0 < 0x80 { return (Unicode.Scalar(b0), 1) }
        let length = b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : b0 >= 0xC0 ? 2 : 1
        guard length > 1, i + length <= end else { return ("\u{FFFD}", 1) }
        var value = UInt32(b0) & (0xFF >> (length + 1))
        for k in 1..<length {
            let b = bytes[i + k]
            guard b & 0xC0 == 0x80 else { return ("\u{FFFD}", 1) }
            value = value << 6 | UInt32(b & 0x3F)
        }
        return (Unicode.Scalar(value) ?? "\u{FFFD}", length)
    }
}

/// The word-segmentation class of a scalar: a table for the Basic
/// Multilingual Plane, built once from Unicode properties (looking them up
/// per character would cost more than all the rest of tokenizing).
enum CharacterClass: UInt8 {
    case space, control, letter, digit, mark, connector, ideograph, midLetter, midNumber, midNumLet, other

    private static let bmp: [CharacterClass] = (0..<0x10000).map { value in
        guard let scalar = Unicode.Scalar(UInt32(value)) else { return .other }
        return classify(scalar)
    }

    @inline(__always)
    static func of(_ scalar: Unicode.Scalar) -> CharacterClass {
        scalar.value < 0x10000 ? bmp[Int(scalar.value)] : classify(scalar)
    }

    static func classify(_ scalar: Unicode.Scalar) -> CharacterClass {
        let v = scalar.value
        switch v {
        case 0x27, 0x2019, 0xFF07: return .midLetter        // ' ’ ＇
        case 0x2E, 0xFF0E: return .midNumLet               // .
        case 0x2C, 0x3B, 0xFF0C: return .midNumber          // , ;
        case 0x5F: return .connector                        // _
        case 0x3040...0x30FF, 0x31F0...0x31FF, 0xFF66...0xFF9D,                 // kana
             0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF, 0x20000...0x3FFFF: // Han
            return scalar.properties.generalCategory == .otherLetter || scalar.properties.isAlphabetic ? .ideograph : .other
        default: break
        }
        let p = scalar.properties
        if p.isWhitespace { return .space }
        switch p.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned: return v == 0x200D ? .other : .control
        case .decimalNumber: return .digit
        case .nonspacingMark, .spacingMark, .enclosingMark: return .mark
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter, .letterNumber: return .letter
        case .connectorPunctuation: return .connector
        default: return .other
        }
    }
}
