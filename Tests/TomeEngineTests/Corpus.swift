import Foundation

/// Seeded text for the engine's tests: the same bytes on every machine.
enum Corpus {
    static let functionWords = ["the", "of", "and", "to", "in", "a", "is", "that", "for", "it", "as", "with", "was", "on", "be", "by",
                                "at", "this", "are", "from", "or", "an", "which", "but", "not", "have", "can", "has", "will", "all",
                                "its", "one", "their", "there", "been", "more", "when", "other", "into", "only"]

    /// Invented words from syllables, so no test depends on an English word list.
    static let vocabulary: [String] = {
        let onsets = ["b", "c", "d", "f", "g", "l", "m", "n", "p", "r", "s", "t", "v", "br", "st", "tr", "pl", "gr"]
        let vowels = ["a", "e", "i", "o", "u", "ai", "ou"]
        let codas = ["", "n", "r", "s", "l", "m", "nd", "st"]
        var rng = SeededGenerator(state: 99)
        var words = Set<String>()
        while words.count < 4000 {
            let syllables = Int.random(in: 1...3, using: &rng)
            words.insert((0..<syllables).map { _ in
                (onsets.randomElement(using: &rng) ?? "") + (vowels.randomElement(using: &rng) ?? "") + (codas.randomElement(using: &rng) ?? "")
            }.joined())
        }
        return words.sorted()
    }()

    /// Pseudo-prose of about `tokens` tokens: sentences of 6–24 words, the
    /// function words frequent and the vocabulary drawn with a Zipf-like law,
    /// a capitalised name or a number now and then; paragraphs of 3–7
    /// sentences separated by blank lines, or one line per sentence when
    /// `paragraphs` is false.
    static func prose(tokens: Int, seed: UInt64, paragraphs: Bool = true) -> String {
        var rng = SeededGenerator(state: seed)
        var out = "", count = 0, inParagraph = 0, paragraphLength = 4
        while count < tokens {
            var words: [String] = []
            for _ in 0..<Int.random(in: 6...24, using: &rng) {
                let roll = Double.random(in: 0..<1, using: &rng)
                if roll < 0.45 {
                    words.append(functionWords.randomElement(using: &rng) ?? "the")
                } else if roll < 0.97 {
                    let rank = Int(exp(Double.random(in: 0..<log(Double(vocabulary.count)), using: &rng))) - 1
                    words.append(vocabulary[min(rank, vocabulary.count - 1)])
                } else if roll < 0.985 {
                    words.append((vocabulary.randomElement(using: &rng) ?? "x").capitalized)
                } else {
                    words.append(String(Int.random(in: 2...9999, using: &rng)))
                }
            }
            var sentence = words.joined(separator: " ")
            sentence = sentence.prefix(1).uppercased() + sentence.dropFirst() + "."
            count += words.count + 1
            out += sentence
            inParagraph += 1
            if !paragraphs {
                out += "\n"
            } else if inParagraph >= paragraphLength {
                out += "\n\n"
                inParagraph = 0
                paragraphLength = Int.random(in: 3...7, using: &rng)
            } else {
                out += " "
            }
        }
        return out
    }

    /// `text` with `needles` inserted as sentences of their own at the given depths (0…1).
    static func inserting(_ needles: [(String, Double)], into text: String) -> String {
        var sentences = text.components(separatedBy: ". ")
        for (needle, depth) in needles.sorted(by: { $0.1 > $1.1 }) {
            let at = min(sentences.count - 1, max(1, Int(Double(sentences.count) * depth)))
            sentences.insert(String(needle.dropLast()), at: at)  // joined back with ". "
        }
        return sentences.joined(separator: ". ")
    }
}
