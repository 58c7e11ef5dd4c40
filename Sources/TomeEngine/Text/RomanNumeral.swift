/// Roman numerals in one case, by their grammar: `iv`, `xiv`, `MCMXC`;
/// not `cli`, `vv` or `civil`. Page numbers of front matter ("iii") and
/// section numbers ("IV.") are written so.
enum RomanNumeral {
    /// Whether `word`, all lower case or all upper case, is a Roman numeral (1–3999).
    static func matches(_ word: some StringProtocol) -> Bool {
        // Letters first: the regular expression is slow, and most words asked about hold other letters.
        guard !word.isEmpty, word.utf8.allSatisfy({ "ivxlcdmIVXLCDM".utf8.contains($0) }),
              word == word.lowercased() || word == word.uppercased() else { return false }
        return word.lowercased().wholeMatch(of: /m{0,3}(cm|cd|d?c{0,3})(xc|xl|l?x{0,3})(ix|iv|v?i{0,3})/) != nil
    }
}
