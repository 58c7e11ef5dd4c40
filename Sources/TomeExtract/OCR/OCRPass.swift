/// Reads pages by OCR, page-parallel: `workers` tasks, each with an engine
/// of its own (and its own copy of what renders pages: a poppler document,
/// or the image's bytes), taking pages one at a time from a shared cursor,
/// as OCRmyPDF spreads pages over single-threaded Tesseracts. The result
/// does not depend on the number of workers: each page is read alone.
struct OCRPass: Sendable {
    var settings: OCRSettings
    var workers: Int
    /// Called with (pages read, pages to read).
    var progress: (@Sendable (Int, Int) -> Void)?

    /// The recognised text of `pages` (indexes from 0), by index. `source`
    /// makes a worker's renderer; `image` renders one page with it (nil: a
    /// page that cannot be rendered reads as empty). A page past its time
    /// limit, or an engine that cannot start, fails the whole pass.
    func read<Source>(_ pages: [Int], source: @escaping @Sendable () throws(ExtractionError) -> Source,
                      image: @escaping @Sendable (Source, Int) -> GreyImage?) async throws(ExtractionError) -> [Int: RecognisedPage] {
        guard !pages.isEmpty else { return [:] }
        guard pages.count <= settings.maxPages else {
            throw ExtractionError(.tooLarge, "\(pages.count) pages need OCR, over ocr_max_pages (\(settings.maxPages))")
        }
        let cursor = PageCursor(pageCount: pages.count, chunk: 1, progress: progress)
        let settings = self.settings
        let outcome: Result<[Int: RecognisedPage], ExtractionError> = await withTaskGroup(of: Result<[(Int, RecognisedPage)], ExtractionError>.self) { group in
            for _ in 0..<max(1, min(workers, pages.count)) {
                group.addTask {
                    do throws(ExtractionError) {
                        let engine = try OCREngine(languages: settings.languages)
                        let renderer = try source()
                        var read: [(Int, RecognisedPage)] = []
                        while let range = cursor.take() {
                            for position in range {
                                let index = pages[position]
                                guard let picture = image(renderer, index) else {
                                    read.append((index, .unreadable))
                                    continue
                                }
                                read.append((index, try engine.recognise(picture, seconds: settings.pageSeconds, page: index + 1)))
                            }
                            cursor.finished(range.count)
                        }
                        return .success(read)
                    } catch {
                        cursor.stop()
                        return .failure(error)
                    }
                }
            }
            var all: [Int: RecognisedPage] = [:]
            var failure: ExtractionError? = nil
            for await result in group {
                switch result {
                case let .success(read): for (index, page) in read { all[index] = page }
                case let .failure(error): failure = failure ?? error
                }
            }
            return failure.map { .failure($0) } ?? .success(all)
        }
        return try outcome.get()
    }
}
