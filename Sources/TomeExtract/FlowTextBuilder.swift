/// Builds text the way a browser lays out inline content: runs of white space
/// become one space, line and paragraph breaks are emitted lazily (so a
/// trailing break or two adjacent blocks never leave blank runs), and
/// preformatted text is copied as it is. A table row is one line with its
/// cells separated by tabs, an empty cell kept as its tab, so that the
/// n-th tab-separated field of a row is the n-th column.
struct FlowTextBuilder {
    private var bytes: [UInt8] = []
    /// 0 none, 1 line break, 2 paragraph break, owed before the next text.
    private var pendingBreak = 0
    private var pendingSpace = false
    /// Tabs owed before the next text: one per cell opened after the row's first.
    private var pendingTabs = 0
    /// The open row has a cell.
    private var rowHasCell = false

    var byteCount: Int { bytes.count }

    mutating func append(_ string: String, preformatted: Bool) {
        for b in string.utf8 {
            let isSpace = b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == 0x0C
            if isSpace && !preformatted {
                pendingSpace = true
                continue
            }
            flushBreak()
            if pendingTabs > 0 {
                while let last = bytes.last, last == 0x20 { bytes.removeLast() }
                bytes.append(contentsOf: repeatElement(0x09, count: pendingTabs))
                pendingTabs = 0
            } else if pendingSpace, let last = bytes.last, last != 0x0A, last != 0x20, last != 0x09 {
                bytes.append(0x20)
            }
            pendingSpace = false
            bytes.append(b)
        }
    }

    /// Owes a line break (or a paragraph break) before the next text.
    mutating func breakLine(paragraph: Bool) {
        pendingBreak = max(pendingBreak, paragraph ? 2 : 1)
    }

    /// Owes a space before the next text.
    mutating func space() { pendingSpace = true }

    /// A table row starts (on a line of its own).
    mutating func row() {
        breakLine(paragraph: false)
        rowHasCell = false
        pendingTabs = 0
    }

    /// The row ends: tabs owed for empty cells at its end are dropped.
    mutating func endRow() {
        rowHasCell = false
        pendingTabs = 0
    }

    /// A table cell starts: after the row's first, a tab is owed before the next text.
    mutating func cell() {
        if rowHasCell { pendingTabs += 1 }
        rowHasCell = true
    }

    /// Emits the owed break now, topping up the newlines already at the end.
    mutating func flushBreak() {
        guard pendingBreak > 0 else { return }
        if !bytes.isEmpty {
            let trailing = bytes.reversed().prefix(while: { $0 == 0x0A }).count
            for _ in trailing..<max(trailing, pendingBreak) { bytes.append(0x0A) }
            pendingSpace = false
        }
        pendingBreak = 0
    }

    /// The text from byte `start` on, without surrounding white space.
    func string(from start: Int) -> String {
        Self.collapse(String(decoding: bytes[min(start, bytes.count)...], as: UTF8.self))
    }

    var string: String { String(decoding: bytes, as: UTF8.self) }

    /// `value` with white-space runs collapsed to one space and the ends trimmed.
    static func collapse(_ value: String) -> String {
        var builder = FlowTextBuilder()
        builder.append(value, preformatted: false)
        return builder.string
    }
}
