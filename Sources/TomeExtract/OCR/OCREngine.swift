import CTesseract
import Glibc

/// What recognition found on one page image.
public struct RecognisedPage: Sendable, Equatable {
    /// The page's text: words joined by spaces, lines by a newline, paragraphs by a blank line.
    public var text: String
    /// Each word's UTF-8 byte range in `text`, its box in pixels of the image read, and its confidence (0–100).
    public var words: [RecognisedWord]
    /// Tesseract's mean confidence over the page (0–100; 0 when it found no word).
    public var confidence: Int
    /// Clockwise quarter turns the image was given to stand upright (0–3).
    public var rotation: Int
    /// The resolution of the image read (the boxes are in its pixels).
    public var dpi: Int

    /// A page that could not be rendered or decoded: no text, flagged.
    public static let unreadable = RecognisedPage(text: "", words: [], confidence: 0, rotation: 0, dpi: 0)
}

public struct RecognisedWord: Sendable, Equatable {
    public var start: Int32
    public var end: Int32
    public var left: Int32, top: Int32, right: Int32, bottom: Int32
    public var confidence: Float
}

/// One Tesseract engine (its C API, `libtesseract`), for one thread: a
/// worker that reads pages owns one, never shares it. Built for the page's
/// languages ("eng+deu"), with an orientation detector (`osd`) when its
/// model is installed.
///
/// Tesseract's OpenMP threads make it slower on small machines (on 2 cores
/// a page took 11.1 s with them and 2.1 s with one thread); Tome runs one
/// thread per engine and engines in parallel, as OCRmyPDF does, so
/// `OMP_THREAD_LIMIT` is set to 1 before the first engine starts, unless
/// the environment already says otherwise.
public final class OCREngine {
    private let handle: OpaquePointer
    private let orientation: OpaquePointer?

    /// Where Tesseract's models are: `TESSDATA_PREFIX`, else Debian's folder.
    public static var modelFolder: String {
        if let prefix = getenv("TESSDATA_PREFIX").map({ String(cString: $0) }), !prefix.isEmpty { return prefix }
        return "/usr/share/tesseract-ocr/5/tessdata"
    }

    /// The languages of `languages` whose model (`LANG.traineddata`) is not installed.
    public static func missingLanguages(_ languages: [String]) -> [String] {
        languages.filter { access(modelFolder + "/" + $0 + ".traineddata", R_OK) != 0 }
    }

    /// The Debian package that installs language `code`'s model (`tesseract-ocr-deu`; `chi_sim` → `tesseract-ocr-chi-sim`).
    public static func debianPackage(ofLanguage code: String) -> String {
        "tesseract-ocr-" + String(code.lowercased().map { $0 == "_" ? "-" : $0 })
    }

    public init(languages: [String]) throws(ExtractionError) {
        if getenv("OMP_THREAD_LIMIT") == nil { setenv("OMP_THREAD_LIMIT", "1", 0) }
        let missing = Self.missingLanguages(languages)
        guard missing.isEmpty, !languages.isEmpty else {
            throw ExtractionError(.unreadable, "OCR needs the language model(s) \(missing.joined(separator: ", ")) (install "
                                  + missing.map(Self.debianPackage).joined(separator: ", ") + ")")
        }
        guard let handle = TessBaseAPICreate() else { throw ExtractionError(.unreadable, "cannot start Tesseract") }
        guard TessBaseAPIInit3(handle, Self.modelFolder, languages.joined(separator: "+")) == 0 else {
            TessBaseAPIDelete(handle)
            throw ExtractionError(.unreadable, "Tesseract cannot load \(languages.joined(separator: "+")) from \(Self.modelFolder)")
        }
        TessBaseAPISetPageSegMode(handle, PSM_AUTO)
        // Tesseract writes its warnings to stderr, where the daemon looks for a dying child's last words.
        _ = TessBaseAPISetVariable(handle, "debug_file", "/dev/null")
        self.handle = handle
        if Self.missingLanguages(["osd"]).isEmpty, let osd = TessBaseAPICreate() {
            if TessBaseAPIInit3(osd, Self.modelFolder, "osd") == 0 {
                TessBaseAPISetPageSegMode(osd, PSM_OSD_ONLY)
                _ = TessBaseAPISetVariable(osd, "debug_file", "/dev/null")
                orientation = osd
            } else {
                TessBaseAPIDelete(osd)
                orientation = nil
            }
        } else {
            orientation = nil
        }
    }

    deinit {
        TessBaseAPIEnd(handle)
        TessBaseAPIDelete(handle)
        if let orientation {
            TessBaseAPIEnd(orientation)
            TessBaseAPIDelete(orientation)
        }
    }

    /// Reads `image`: turned upright first when the orientation detector is
    /// sure it lies on its side or upside down, then recognised within
    /// `seconds` (past it, a typed `timeout` naming the page).
    ///
    /// The detector errs on some pages (a reference page of code and
    /// tables at 150 dpi came out upside down, as garbage): a page it would
    /// turn is read both as it lies and turned, and the reading Tesseract is
    /// more confident of is kept. Upright pages, nearly all, are read once.
    public func recognise(_ image: GreyImage, seconds: Double, page: Int) throws(ExtractionError) -> RecognisedPage {
        let started = monotonicSeconds()
        let quarters = uprightQuarters(image)
        let turned = try read(image.rotated(clockwiseQuarters: quarters), quarters: quarters, until: started + seconds, seconds: seconds, page: page)
        guard quarters != 0 else { return turned }
        let asItLies = try read(image, quarters: 0, until: started + seconds, seconds: seconds, page: page)
        return asItLies.confidence > turned.confidence ? asItLies : turned
    }

    /// Recognises `upright` (turned `quarters` from the page) before `deadline` (monotonic seconds).
    private func read(_ upright: GreyImage, quarters: Int, until deadline: Double, seconds: Double, page: Int) throws(ExtractionError) -> RecognisedPage {
        let remaining = deadline - monotonicSeconds()
        guard remaining > 0 else { throw ExtractionError(.timeout, "OCR of page \(page) took more than \(Int(seconds)) s (ocr_page_timeout_s)") }
        upright.pixels.withUnsafeBufferPointer { pixels in
            TessBaseAPISetImage(handle, pixels.baseAddress, Int32(upright.width), Int32(upright.height), 1, Int32(upright.width))
        }
        TessBaseAPISetSourceResolution(handle, Int32(upright.dpi))
        let monitor = TessMonitorCreate()
        defer { TessMonitorDelete(monitor) }
        TessMonitorSetDeadlineMSecs(monitor, Int32(max(1, min(Double(Int32.max), remaining * 1000))))
        let status = TessBaseAPIRecognize(handle, monitor)
        defer { TessBaseAPIClear(handle) }
        if monotonicSeconds() >= deadline {
            throw ExtractionError(.timeout, "OCR of page \(page) took more than \(Int(seconds)) s (ocr_page_timeout_s)")
        }
        guard status == 0 else { throw ExtractionError(.corrupt, "Tesseract could not read page \(page)") }
        var page = RecognisedPage(text: "", words: [], confidence: Int(TessBaseAPIMeanTextConf(handle)), rotation: quarters, dpi: upright.dpi)
        guard let results = TessBaseAPIGetIterator(handle) else { return page }
        defer { TessResultIteratorDelete(results) }
        guard let layout = TessResultIteratorGetPageIterator(results) else { return page }
        var text: [UInt8] = []
        repeat {
            guard let word = TessResultIteratorGetUTF8Text(results, RIL_WORD) else { continue }
            defer { TessDeleteText(word) }
            let bytes = Array(String(cString: word).utf8)
            guard !bytes.isEmpty else { continue }
            if !text.isEmpty {
                if TessPageIteratorIsAtBeginningOf(layout, RIL_PARA) != 0 || TessPageIteratorIsAtBeginningOf(layout, RIL_BLOCK) != 0 {
                    text += [0x0A, 0x0A]
                } else if TessPageIteratorIsAtBeginningOf(layout, RIL_TEXTLINE) != 0 {
                    text.append(0x0A)
                } else {
                    text.append(0x20)
                }
            }
            var (left, top, right, bottom): (Int32, Int32, Int32, Int32) = (0, 0, 0, 0)
            _ = TessPageIteratorBoundingBox(layout, RIL_WORD, &left, &top, &right, &bottom)
            let start = Int32(text.count)
            text += bytes
            page.words.append(RecognisedWord(start: start, end: Int32(text.count), left: left, top: top, right: right, bottom: bottom,
                                             confidence: TessResultIteratorConfidence(results, RIL_WORD)))
        } while TessPageIteratorNext(layout, RIL_WORD) != 0
        page.text = String(decoding: text, as: UTF8.self)
        if page.words.isEmpty { page.confidence = 0 }
        return page
    }

    /// Clockwise quarter turns that make `image` upright: 0 unless the
    /// orientation detector is installed and confident.
    private func uprightQuarters(_ image: GreyImage) -> Int {
        guard let orientation, image.hasInk else { return 0 }
        image.pixels.withUnsafeBufferPointer { pixels in
            TessBaseAPISetImage(orientation, pixels.baseAddress, Int32(image.width), Int32(image.height), 1, Int32(image.width))
        }
        TessBaseAPISetSourceResolution(orientation, Int32(image.dpi))
        defer { TessBaseAPIClear(orientation) }
        var degrees: Int32 = 0
        var confidence: Float = 0
        var script: UnsafePointer<CChar>? = nil
        var scriptConfidence: Float = 0
        guard TessBaseAPIDetectOrientationScript(orientation, &degrees, &confidence, &script, &scriptConfidence) != 0 else { return 0 }
        // Below this, Tesseract's orientation guess is noise (its own docs suggest about 2).
        guard confidence >= Self.orientationConfidence else { return 0 }
        // `degrees` is how far the page is turned clockwise (a sheet fed sideways, text running down:
        // 90); standing it upright is that many quarters counter-clockwise.
        return (4 - Int(degrees / 90) % 4) % 4
    }

    /// How sure the orientation detector must be before a page is turned.
    static let orientationConfidence: Float = 2

    private func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
