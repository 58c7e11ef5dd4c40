import CLibXML2

/// HTML through libxml2's forgiving HTML parser.
///
/// - Charset: a byte-order mark, else a `<meta charset>` or `http-equiv`
///   declaration in the first 4 KiB, else UTF-8 when the bytes are valid UTF-8,
///   else Windows-1252. ISO-8859-1 and US-ASCII labels are read as Windows-1252,
///   as browsers do.
/// - Dropped: `script`, `style`, `noscript`, `template`, `svg`, `nav`,
///   `iframe`, `object`, `canvas`, and all of `head` but `title` and `meta`.
/// - Block elements become paragraph breaks, `br` and list items line breaks;
///   white space collapses as a browser shows it, except inside `pre`.
/// - A table row is a line, its cells separated by tabs (an empty cell is
///   still its tab, so columns line up): readers, the experts and the
///   summaries tell the cells apart.
/// - `h1`–`h6` become the outline, but for a page's only `h1` ahead of
///   its other headings: that is its title; `title` and `meta name=… content=…`
///   (author, description, keywords, generator, date) the metadata.
/// - `XML_PARSE_HUGE` lifts libxml2's nesting limit (256), past which it would
///   silently drop the rest of a page; the file size limit bounds memory instead.
package enum HTMLExtractor {
    package static func extract(_ bytes: [UInt8]) throws(ExtractionError) -> ExtractedDocument {
        let options = Int32(HTML_PARSE_RECOVER.rawValue | HTML_PARSE_NOERROR.rawValue | HTML_PARSE_NOWARNING.rawValue
            | HTML_PARSE_NONET.rawValue | HTML_PARSE_COMPACT.rawValue | HTML_PARSE_IGNORE_ENC.rawValue | XML_PARSE_HUGE.rawValue)
        guard bytes.count < Int(Int32.max) else { throw ExtractionError(.tooLarge, "HTML over 2 GiB") }
        let encoding = declaredEncoding(bytes)
        let parse = { (encoding: String?) in
            bytes.withUnsafeBytes { buffer -> htmlDocPtr? in
                guard let base = buffer.baseAddress?.assumingMemoryBound(to: CChar.self) else { return nil }
                return htmlReadMemory(base, Int32(buffer.count), "file:///document.html", encoding, options)
            }
        }
        // An encoding iconv does not know leaves libxml2 without a document: fall back to Windows-1252.
        guard let doc = parse(encoding) ?? parse("windows-1252") else {
            throw ExtractionError(.corrupt, "libxml2 cannot parse the HTML")
        }
        defer { xmlFreeDoc(doc) }
        guard let root = xmlDocGetRootElement(doc) else {
            throw ExtractionError(.empty, "the HTML has no elements")
        }
        var walker = HTMLWalker()
        walker.walk(root)
        return walker.document()
    }

    /// The charset to decode with (see the type's doc).
    static func declaredEncoding(_ bytes: [UInt8]) -> String {
        if ContentSniffer.hasPrefix([0xEF, 0xBB, 0xBF], bytes, at: 0) { return "UTF-8" }
        if ContentSniffer.hasPrefix([0xFF, 0xFE], bytes, at: 0) { return "UTF-16LE" }
        if ContentSniffer.hasPrefix([0xFE, 0xFF], bytes, at: 0) { return "UTF-16BE" }
        if let label = metaCharset(Array(bytes.prefix(4096))) {
            switch label {
            case "iso-8859-1", "latin1", "l1", "us-ascii", "ascii", "iso8859-1", "cp1252", "windows-1252": return "windows-1252"
            // A page that says UTF-16 in ASCII-compatible bytes is not UTF-16 (HTML5).
            case let l where l.hasPrefix("utf-16"): return "UTF-8"
            default: return label
            }
        }
        return TextDecoding.isValidUTF8(bytes) ? "UTF-8" : "windows-1252"
    }

    /// The charset label of the first `<meta>` that declares one, lowercased.
    static func metaCharset(_ head: [UInt8]) -> String? {
        let lower = head.map { ($0 >= 0x41 && $0 <= 0x5A) ? $0 | 0x20 : $0 }
        var from = 0
        while let meta = ContentSniffer.firstIndex(of: Array("<meta".utf8), in: lower, from: from) {
            let end = lower[meta...].firstIndex(of: 0x3E) ?? lower.count
            let tag = Array(lower[meta..<end])
            if let at = ContentSniffer.firstIndex(of: Array("charset".utf8), in: tag, from: 0) {
                var i = at + 7
                while i < tag.count, [0x20, 0x09, 0x0A, 0x0D].contains(tag[i]) { i += 1 }
                if i < tag.count, tag[i] == 0x3D {
                    i += 1
                    while i < tag.count, [0x20, 0x09, 0x0A, 0x0D, 0x22, 0x27].contains(tag[i]) { i += 1 }
                    let label = tag[i...].prefix { b in
                        (0x30...0x39).contains(b) || (0x61...0x7A).contains(b) || b == 0x2D || b == 0x5F || b == 0x3A || b == 0x2E
                    }
                    if !label.isEmpty { return String(decoding: label, as: UTF8.self) }
                }
            }
            from = end
        }
        return nil
    }
}

/// Walks a libxml2 tree without recursion (broken markup can nest deeply),
/// building the text, the outline and the metadata.
private struct HTMLWalker {
    static let dropped: Set<String> = ["script", "style", "noscript", "template", "svg", "nav", "iframe", "object", "canvas"]
    static let paragraphBlocks: Set<String> = [
        "p", "div", "section", "article", "aside", "blockquote", "pre", "table", "ul", "ol", "dl", "header", "footer",
        "main", "figure", "form", "hr", "address", "details", "fieldset", "h1", "h2", "h3", "h4", "h5", "h6", "body", "center",
    ]
    static let lineBlocks: Set<String> = ["li", "dt", "dd", "tr", "caption", "figcaption", "option", "summary", "legend", "br"]
    static let preformatted: Set<String> = ["pre", "textarea", "listing", "plaintext", "xmp"]

    var text = FlowTextBuilder()
    var outline: [OutlineEntry] = []
    var metadata = DocumentMetadata()
    /// Depth counters of the elements whose content is handled specially.
    var inHead = 0, inPre = 0, inCell = 0
    /// The open heading: its level and where its text starts.
    var heading: (level: Int, start: Int)? = nil
    var title: FlowTextBuilder? = nil

    mutating func walk(_ root: xmlNodePtr) {
        var node: xmlNodePtr? = root
        while let current = node {
            if enter(current), let child = current.pointee.children {
                node = child
                continue
            }
            // Leave `current` (and its ancestors while they have no next sibling).
            var leaving = current
            while true {
                exit(leaving)
                if leaving == root { return }
                if let next = leaving.pointee.next { node = next; break }
                guard let parent = leaving.pointee.parent else { return }
                leaving = parent
            }
        }
    }

    /// Handles the start of a node; returns whether to descend into its children.
    private mutating func enter(_ node: xmlNodePtr) -> Bool {
        switch node.pointee.type {
        case XML_TEXT_NODE, XML_CDATA_SECTION_NODE:
            guard let content = node.pointee.content else { return false }
            let string = String(cString: content)
            if title != nil {
                title?.append(string, preformatted: false)
            } else if inHead == 0 {
                text.append(string, preformatted: inPre > 0)
            }
            return false
        case XML_ELEMENT_NODE:
            let name = Self.name(node)
            if Self.dropped.contains(name) { return false }
            switch name {
            case "head": inHead += 1
            case "title": if metadata.title == nil { title = FlowTextBuilder() }
            case "meta": readMeta(node)
            case "h1", "h2", "h3", "h4", "h5", "h6":
                text.breakLine(paragraph: true)
                text.flushBreak()
                heading = (Int(name.utf8.last.map { $0 - 0x30 } ?? 1), text.byteCount)
            default: break
            }
            if Self.preformatted.contains(name) { inPre += 1 }
            if name == "td" || name == "th" {
                text.cell()
                inCell += 1
            } else if name == "tr" {
                text.row()
            } else if inCell > 0, Self.paragraphBlocks.contains(name) || Self.lineBlocks.contains(name) {
                text.space()  // a cell's paragraphs and lines stay in its row, as a browser shows them
            } else {
                if Self.paragraphBlocks.contains(name) { text.breakLine(paragraph: true) }
                if Self.lineBlocks.contains(name) { text.breakLine(paragraph: false) }
            }
            return true
        default:
            return false
        }
    }

    /// Handles the end of a node whose children (if any were visited) are done.
    private mutating func exit(_ node: xmlNodePtr) {
        guard node.pointee.type == XML_ELEMENT_NODE else { return }
        let name = Self.name(node)
        if Self.dropped.contains(name) { return }
        switch name {
        case "head": inHead -= 1
        case "title":
            if let collected = title {
                let value = collected.string
                if !value.isEmpty { metadata.title = value }
                title = nil
            }
        case "h1", "h2", "h3", "h4", "h5", "h6":
            if let open = heading {
                let titleText = text.string(from: open.start)
                if !titleText.isEmpty {
                    outline.append(OutlineEntry(title: titleText, level: open.level, page: 1, offset: open.start))
                }
                heading = nil
            }
        default: break
        }
        if Self.preformatted.contains(name) { inPre -= 1 }
        if name == "td" || name == "th" {
            inCell = max(0, inCell - 1)
        } else if name == "tr" {
            text.endRow()
            text.breakLine(paragraph: false)
        } else if inCell > 0, Self.paragraphBlocks.contains(name) || Self.lineBlocks.contains(name) {
            text.space()
        } else {
            if Self.paragraphBlocks.contains(name) { text.breakLine(paragraph: true) }
            if Self.lineBlocks.contains(name) && name != "br" { text.breakLine(paragraph: false) }
        }
    }

    private mutating func readMeta(_ node: xmlNodePtr) {
        guard let key = Self.attribute(node, "name")?.lowercased(), let value = Self.attribute(node, "content") else { return }
        let trimmed = FlowTextBuilder.collapse(value)
        guard !trimmed.isEmpty else { return }
        switch key {
        case "author", "dc.creator", "dcterms.creator": metadata.author = metadata.author ?? trimmed
        case "description", "dc.description", "dcterms.description": metadata.subject = metadata.subject ?? trimmed
        case "keywords", "dc.subject": metadata.keywords = metadata.keywords ?? trimmed
        case "generator": metadata.creator = metadata.creator ?? trimmed
        case "date", "dc.date", "dcterms.created", "dc.date.created": metadata.created = metadata.created ?? trimmed
        case "dcterms.modified", "last-modified", "dc.date.modified": metadata.modified = metadata.modified ?? trimmed
        default: break
        }
    }

    func document() -> ExtractedDocument {
        let string = text.string
        // A page's only h1, ahead of its other headings, is its title, not a section: the metadata's title when it has none.
        var outline = outline, metadata = metadata
        if let first = outline.first, first.level == 1, outline.dropFirst().allSatisfy({ $0.level > 1 }) {
            if metadata.title == nil { metadata.title = first.title }
            outline.removeFirst()
        }
        return ExtractedDocument(
            type: .html,
            text: string,
            pages: [PageSpan(number: 1, start: 0, end: string.utf8.count)],
            metadata: metadata,
            outline: outline
        )
    }

    private static func name(_ node: xmlNodePtr) -> String {
        guard let name = node.pointee.name else { return "" }
        return String(cString: name).lowercased()
    }

    private static func attribute(_ node: xmlNodePtr, _ name: String) -> String? {
        guard let value = xmlGetProp(node, name) else { return nil }
        defer { tome_xml_free(value) }
        return String(cString: value)
    }
}
