import Glibc

/// Limits and resources for one extraction.
public struct ExtractionOptions: Sendable {
    /// Largest file accepted, and largest size a gzip file may expand to.
    /// The default is 256 MiB: several times the largest real manuals
    /// (the R reference manual is 12 MB) while bounding memory.
    public var maxBytes: Int
    /// PDF pages are read by this many workers, each with its own poppler
    /// document. The default is the number of cores.
    public var workers: Int
    /// Called with (pages done, pages in all) as PDF pages are read, from
    /// any worker. The default is none.
    public var progress: (@Sendable (Int, Int) -> Void)?
    /// Called with (pages read, pages to read) as pages are read by OCR. The default is none.
    public var ocrProgress: (@Sendable (Int, Int) -> Void)?
    /// When and how pages are read by OCR. The default reads pages without
    /// a usable text layer, and images, in English at 300 dpi.
    public var ocr = OCRSettings()
    /// When set, a file is read only if it lies below this folder with no
    /// symbolic link on the way (`BeneathPath`). The daemon sets it to the
    /// spool. The default is none.
    public var beneath: String?

    public init(maxBytes: Int = 256 << 20, workers: Int = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), progress: (@Sendable (Int, Int) -> Void)? = nil,
                beneath: String? = nil) {
        self.maxBytes = maxBytes
        self.workers = max(1, workers)
        self.progress = progress
        self.beneath = beneath
    }
}

/// Turns a file into an `ExtractedDocument`: reads it within the size limit,
/// decides its type by content, unpacks gzip, and hands it to the extractor
/// for that type. Every failure is an `ExtractionError`.
public struct Extractor: Sendable {
    public var options: ExtractionOptions

    public init(options: ExtractionOptions = ExtractionOptions()) {
        self.options = options
    }

    /// Extracts the file at `path`.
    public func extract(fileAt path: String) async throws(ExtractionError) -> ExtractedDocument {
        try await extract(bytes: try read(fileAt: path), name: path)
    }

    /// Extracts a document held in memory; `name` only breaks ties the
    /// content leaves open (`.md` for Markdown, `.html` for a bare `<`).
    public func extract(bytes: [UInt8], name: String) async throws(ExtractionError) -> ExtractedDocument {
        var bytes = bytes
        var kind = try ContentSniffer.kind(of: bytes, name: name)
        if kind == .gzip {
            bytes = try Gzip.decompress(bytes, limit: options.maxBytes)
            kind = try ContentSniffer.kind(of: bytes, name: name)
            if kind == .gzip { throw ExtractionError(.unsupportedType, "gzip inside gzip is not unpacked") }
        }
        // A stray NUL (a bad copy, a broken tool) is not text, and libxml2 stops reading at one.
        if kind != .pdf, kind != .image, !ContentSniffer.isUTF16(bytes), bytes.contains(0) { bytes.removeAll { $0 == 0 } }
        let document: ExtractedDocument
        switch kind {
        case .pdf:
            document = try await PDFExtractor(bytes: bytes, workers: options.workers, progress: options.progress, ocr: options.ocr,
                                              ocrProgress: options.ocrProgress).extract()
        case .image:
            guard options.ocr.mode != .never else {
                throw ExtractionError(.unsupportedType, "the file is an image, and this pipeline reads none (ocr = \"never\")")
            }
            document = try await ImageExtractor(bytes: bytes, ocr: options.ocr, workers: options.workers, progress: options.ocrProgress).extract()
        case .html: document = try HTMLExtractor.extract(bytes)
        case .markdown: document = PlainTextExtractor.extract(bytes, markdown: true)
        case .text, .gzip: document = PlainTextExtractor.extract(bytes, markdown: false)
        }
        // An image with no text is a document still (its pages flagged); so is a scan OCR found nothing on.
        if document.type != .pdf, document.type != .image, !document.text.utf8.contains(where: { $0 > 0x20 }) {
            throw ExtractionError(.empty, "the \(document.type) file has no text")
        }
        return document
    }

    /// Reads a regular file whole, refusing it before reading when it is over
    /// the limit. Opened without blocking, so a FIFO is refused at once
    /// rather than waited on for a writer.
    public func read(fileAt path: String) throws(ExtractionError) -> [UInt8] {
        let fd: Int32
        if let root = options.beneath {
            do {
                fd = try BeneathPath.openFile(path, under: root, flags: O_RDONLY | O_NONBLOCK)
            } catch {
                throw ExtractionError(.unreadable, "cannot open \(path): \(error.message)")
            }
        } else {
            fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        }
        guard fd >= 0 else { throw ExtractionError(.unreadable, "cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw ExtractionError(.unreadable, "cannot stat \(path): \(String(cString: strerror(errno)))") }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw ExtractionError(.unreadable, "\(path) is not a regular file") }
        let size = Int(info.st_size)
        guard size <= options.maxBytes else {
            throw ExtractionError(.tooLarge, "the file has \(size) bytes, over the limit of \(options.maxBytes)")
        }
        var bytes = [UInt8](repeating: 0, count: size)
        var filled = 0
        while filled < size {
            let n = bytes.withUnsafeMutableBytes { buffer in
                buffer.baseAddress.map { Glibc.read(fd, $0 + filled, size - filled) } ?? 0
            }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw ExtractionError(.unreadable, "cannot read \(path): \(String(cString: strerror(errno)))") }
            if n == 0 { break }  // The file shrank while being read: take what is there.
            filled += n
        }
        return filled == size ? bytes : Array(bytes.prefix(filled))
    }
}
