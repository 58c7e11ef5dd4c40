import Testing
import TomeTestSupport

@testable import TomeExtract

/// Small real HTML documents through libxml2: charsets, dropped elements, headings, entities.
@Suite struct HTMLExtractionTests {
    let scratch = Scratch()

    /// Windows-1252 bytes: é = E9, – (en dash) = 96, € = 80.
    static let windows1252Page: [UInt8] = Array("""
        <!DOCTYPE html>
        <html><head>
        <meta charset="windows-1252">
        <title>Caf\u{00}\u{00} menu</title>
        <meta name="author" content="Jos\u{00}\u{00} Garc\u{00}\u{00}a">
        <meta name="description" content="A   small\ttest page">
        <meta name="keywords" content="food, menu">
        <style>body { color: red; }</style>
        <script>var hidden = "script text";</script>
        </head><body>
        <nav><a href="/">Home</a> | <a href="/about">About</a></nav>
        <h1>Menu</h1>
        <p>Caf\u{00}\u{00} au lait \u{00}\u{00} 3 \u{00}\u{00}, cr&egrave;me br&ucirc;l&eacute;e &amp; tea &#8212; &lt;fresh&gt;.</p>
        <h2>Drinks <small>(hot)</small></h2>
        <ul><li>Espresso</li><li>Latte</li></ul>
        <noscript>Enable JavaScript</noscript>
        <h3>Cold   drinks</h3><p>Iced tea</p>
        <template><p>template text</p></template>
        <svg><text>svg text</text></svg>
        <h2>Desserts</h2><p>Tarte<br>Tatin</p>
        </body></html>
        """.utf8)
        .windows1252Patched()

    @Test func windows1252PageDecodesDropsAndStructures() async throws {
        let path = scratch.write("menu.html", Self.windows1252Page)
        let document = try await Extractor().extract(fileAt: path)
        #expect(document.type == .html)
        #expect(document.text == """
            Menu

            Café au lait – 3 €, crème brûlée & tea — <fresh>.

            Drinks (hot)

            Espresso
            Latte

            Cold drinks

            Iced tea

            Desserts

            Tarte
            Tatin
            """)
        for hidden in ["script text", "color: red", "Home", "Enable JavaScript", "template text", "svg text"] {
            #expect(!document.text.contains(hidden), "\(hidden) should be dropped")
        }
        #expect(document.metadata.title == "Café menu")
        #expect(document.metadata.author == "José García")
        #expect(document.metadata.subject == "A small test page")
        #expect(document.metadata.keywords == "food, menu")
        #expect(document.pages == [PageSpan(number: 1, start: 0, end: document.text.utf8.count)])
    }

    @Test func headingsBecomeTheOutlineWithOffsets() async throws {
        let path = scratch.write("menu.html", Self.windows1252Page)
        let document = try await Extractor().extract(fileAt: path)
        // "Menu", the page's only h1 and ahead of the rest, is its title, not a section.
        #expect(document.outline.map(\.title) == ["Drinks (hot)", "Cold drinks", "Desserts"])
        #expect(document.outline.map(\.level) == [2, 3, 2])
        let bytes = Array(document.text.utf8)
        for entry in document.outline {
            let offset = try #require(entry.offset)
            #expect(String(decoding: bytes[offset..<(offset + entry.title.utf8.count)], as: UTF8.self) == entry.title)
        }
    }

    @Test func shiftJISDeclaredByHttpEquiv() async throws {
        // 日本語 in Shift_JIS is 93 FA 96 7B 8C EA.
        var page = Array("<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=Shift_JIS\"></head><body><p>".utf8)
        page += [0x93, 0xFA, 0x96, 0x7B, 0x8C, 0xEA]
        page += Array("</p></body></html>".utf8)
        let document = try await Extractor().extract(fileAt: scratch.write("jp.html", page))
        #expect(document.text == "日本語")
    }

    @Test func utf8WithBOMAndNoDeclaration() async throws {
        let page = [0xEF, 0xBB, 0xBF] + Array("<p>Grüße aus Köln</p>".utf8)
        let document = try await Extractor().extract(fileAt: scratch.write("bom.html", page))
        #expect(document.text == "Grüße aus Köln")
    }

    @Test func undeclaredLegacyBytesFallBackToWindows1252() async throws {
        let page = Array("<html><body><p>na".utf8) + [0xEF] + Array("ve</p></body></html>".utf8)
        let document = try await Extractor().extract(fileAt: scratch.write("legacy.html", page))
        #expect(document.text == "naïve")
    }

    @Test func preformattedTextKeepsItsSpacing() async throws {
        let page = "<body><p>a   b</p><pre>x   y\n  z</pre></body>"
        let document = try await Extractor().extract(fileAt: scratch.write("pre.html", page))
        #expect(document.text == "a b\n\nx   y\n  z")
    }

    @Test func mislabelledHTMLIsReadAsHTML() async throws {
        let document = try await Extractor().extract(fileAt: scratch.write("page.txt", "<!doctype html><title>T</title><h1>Hello</h1><p>World</p>"))
        #expect(document.type == .html)
        #expect(document.text == "Hello\n\nWorld")
        #expect(document.metadata.title == "T")
    }

    @Test func brokenAndDeeplyNestedMarkupStillYieldsItsText() async throws {
        let depth = 20_000
        let page = "<html><body>" + String(repeating: "<div><b>", count: depth) + "deep text" + "<p>unclosed <i>para <table><tr><td>cell one<td>cell two"
        let document = try await Extractor().extract(fileAt: scratch.write("broken.html", page))
        #expect(document.text.contains("deep text"))
        #expect(document.text.contains("cell one\tcell two"))
    }

    @Test func gzippedHTMLIsUnpacked() async throws {
        let path = scratch.write("doc.html", "<h1>Compressed</h1><p>It was gzipped.</p>")
        try #require(try runProcess("gzip", [path]).status == 0)
        let document = try await Extractor().extract(fileAt: path + ".gz")
        #expect(document.type == .html)
        #expect(document.metadata.title == "Compressed")
    }

    /// A table row is a line, its cells parted by tabs: an empty cell keeps
    /// its tab (columns line up), a cell's paragraphs and line breaks stay in
    /// its row, and the text after the table starts a line of its own.
    @Test func tableRowsKeepTheirCells() async throws {
        let page = """
            <p>Invoice</p><table>
            <tr><th>Qty</th><th>Item</th><th>Price</th><th>Amount</th></tr>
            <tr><td>320</td><td><p>Paperback</p><p>A5, matte</p></td><td>£4.50</td><td>£1,440.00</td></tr>
            <tr><td></td><td>Carriage</td><td></td><td>£25.00</td></tr>
            <tr><td colspan="3">Total due</td><td><b>£1,465.00</b></td></tr>
            </table><p>Thank you.</p>
            """
        let document = try await Extractor().extract(fileAt: scratch.write("invoice.html", page))
        #expect(document.text == "Invoice\n\nQty\tItem\tPrice\tAmount\n320\tPaperback A5, matte\t£4.50\t£1,440.00\n\tCarriage\t\t£25.00\nTotal due\t£1,465.00\n\nThank you.")
    }

    /// Several h1 are the page's sections, kept in the outline.
    @Test func severalTopHeadingsStayInTheOutline() async throws {
        let page = "<title>Guide</title><h1>Install</h1><p>Run it.</p><h1>Use</h1><p>Ask it.</p>"
        let document = try await Extractor().extract(fileAt: scratch.write("guide.html", page))
        #expect(document.outline.map(\.title) == ["Install", "Use"])
        #expect(document.metadata.title == "Guide")
    }

    @Test func charsetSniffing() {
        #expect(HTMLExtractor.declaredEncoding(Array("<meta charset=\"ISO-8859-1\">".utf8)) == "windows-1252")
        #expect(HTMLExtractor.declaredEncoding(Array("<META HTTP-EQUIV='content-type' CONTENT='text/html;charset=koi8-r'>".utf8)) == "koi8-r")
        #expect(HTMLExtractor.declaredEncoding(Array("<meta charset=utf-16>".utf8)) == "UTF-8")
        #expect(HTMLExtractor.declaredEncoding(Array("<p>plain</p>".utf8)) == "UTF-8")
        #expect(HTMLExtractor.declaredEncoding([0x3C, 0x70, 0x3E, 0xE9]) == "windows-1252")
    }
}

extension Array where Element == UInt8 {
    /// The fixture above is written in Swift source (UTF-8); this swaps each
    /// `\0\0` placeholder for the next Windows-1252 byte of "ééíé–€", in order.
    fileprivate func windows1252Patched() -> [UInt8] {
        var replacements: [UInt8] = [0xE9, 0xE9, 0xED, 0xE9, 0x96, 0x80]
        var out: [UInt8] = []
        var i = 0
        while i < count {
            if self[i] == 0, i + 1 < count, self[i + 1] == 0 {
                out.append(replacements.removeFirst())
                i += 2
            } else {
                out.append(self[i])
                i += 1
            }
        }
        precondition(replacements.isEmpty, "placeholder count changed")
        return out
    }
}
