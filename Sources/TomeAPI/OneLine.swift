/// Text that must stay on one line — a log event, a cell of the CLI's
/// table — with each control character (C0, DEL, C1) written as a Swift
/// escape (`\n`, `\u{1B}`). A file in the spool may be named with a line
/// break or a terminal escape: shown raw, its name would forge lines in the
/// journal that look like the daemon's own, or rows in `tome ls`.
///
/// `escapedKeepingLines`: for text that may run over lines (a model's written
/// answer) but must not drive the terminal: line feeds and tabs stay.
public enum OneLine {
    public static func escaped(_ text: String) -> String { escape(text, keepingLines: false) }

    public static func escapedKeepingLines(_ text: String) -> String { escape(text, keepingLines: true) }

    private static func escape(_ text: String, keepingLines keep: Bool) -> String {
        let escapes = { (scalar: Unicode.Scalar) -> Bool in
            scalar.properties.generalCategory == .control && !(keep && (scalar == "\n" || scalar == "\t"))
        }
        guard text.unicodeScalars.contains(where: escapes) else { return text }
        var escaped = ""
        for scalar in text.unicodeScalars {
            if escapes(scalar) {
                escaped += scalar.escaped(asASCII: true)
            } else {
                escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }
}
