import Foundation
import Testing
import TomeTestSupport

/// The short versions of `make fuzz` and `make chaos`, so that every
/// `make test` replays what fuzzing once found and kills a real daemon a few
/// times. The long runs and their figures are in README, "Reliability and
/// security".
@Suite(.serialized) struct FuzzAndChaosTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized.path
    static let targets = ["html", "text", "gzip", "analysis", "archive"]

    /// Every seed input and every saved finding of each libFuzzer target
    /// goes through the harness's entry point (an ordinary build of
    /// `tome-fuzz`): a crash or trap fails the test.
    @Test(arguments: targets)
    func fuzzCorpusAndFindingsReplayCleanly(target: String) throws {
        var files: [String] = []
        for folder in ["corpus", "regressions"] {
            let directory = "\(Self.root)/Tests/Fuzz/\(folder)/\(target)"
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            files += names.filter { !$0.hasPrefix(".") }.sorted().map { "\(directory)/\($0)" }
        }
        #expect(!files.isEmpty, "no seed inputs for \(target)")
        let run = try runProcess("/usr/bin/env", ["TOME_FUZZ_TARGET=\(target)", productsDirectory + "/tome-fuzz"] + files)
        #expect(run.status == 0, "\(target): \(run.stderr)")
    }

    /// Damaged PDFs (a seeded 150 of them, plus every saved finding) through
    /// `tomed extract --child` under the daemon's limits: each ends in a
    /// record or a typed error, never a signal or a hang.
    @Test func mutatedPDFsEndInARecordOrATypedError() throws {
        let scratch = Scratch()
        let manual = scratch.file("manual.pdf")
        var writer = PDFWriter(pages: (1...6).map { page in (1...30).map { "Page \(page) line \($0): clause \(page * 100 + $0) of the harbour tariff." } })
        writer.title = "Harbour tariff"
        writer.bookmarks = [.init("Tariff", page: 1), .init("Dues", level: 2, page: 3)]
        writer.write(to: manual)
        let run = try runProcess("python3", [
            "\(Self.root)/Tests/Fuzz/mutate_pdfs.py", "--tomed", productsDirectory + "/tomed",
            "--seed", "1", "--runs", "150", "\(Self.root)/Samples/sample.pdf", manual,
        ])
        let output = String(decoding: run.stdout, as: UTF8.self)
        #expect(run.status == 0, "\(output)\(run.stderr)")
        #expect(output.contains("150 mutated PDFs"), "\(output)")
        #expect(output.contains(", 0 findings"), "\(output)")
    }

    /// Chaos, short: 40 files, 6 SIGKILLs of the real daemon at random
    /// moments, then every invariant (Tests/Chaos/chaos.py says which).
    @Test func daemonKilledSixTimesLosesAndDuplicatesNothing() throws {
        let run = try runProcess("python3", [
            "\(Self.root)/Tests/Chaos/chaos.py", "--build", productsDirectory, "--seed", "1", "--files", "40", "--kills", "6",
        ])
        let output = String(decoding: run.stdout, as: UTF8.self)
        #expect(run.status == 0, "\(output)\(run.stderr)")
        #expect(output.contains("every check held"), "\(output)")
    }
}
