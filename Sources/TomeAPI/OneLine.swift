/// Text that must stay on one line — a log event, a cell of the CLI's
/// table — with each control character (C0, DEL, C1) written as a Swift
/// escape (`\n`, `\u{1B}`). A file in the spool may be named with a line
/// break or a terminal escape: shown raw, its name would forge lines in the
/// journal that look like the daemon's own, or rows in `tome ls`.
public enum OneLine {
    public static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else { return text }
        var escaped = ""
        for scalar in text.unicodeScalars {
            if scalar.properties.generalCategory == .control {
                escaped += scalar.escaped(asASCII: true)
            } else {
                escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }
}
