// swift-tools-version: 6.0
//
// Tome: a daemon for long documents. Targets follow ../shared/DESIGN.md;
// each is declared once it has real code. Dependencies point at GitHub
// addresses at versions the local package mirror serves.
//
// Dependencies flow one way:
//   TomeExtract -> TomeStore -> TomeDaemon -> tomed
//   TomeAPI (the JSON of the control API and its vocabulary) -> TomeStore, TomeDaemon, tome
//   TomeLLM (a client of OpenAI-compatible chat servers) -> TomeDaemon
import PackageDescription

let package = Package(
    name: "Tome",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "tomed", targets: ["tomed"]),
        .executable(name: "tome", targets: ["tome"]),
        .executable(name: "tome-distil", targets: ["tome-distil"]),
        .library(name: "TomeExtract", targets: ["TomeExtract"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // C libraries, through pkg-config (Debian: libpoppler-glib-dev, libxml2-dev, zlib1g-dev, libcairo2-dev).
        .systemLibrary(name: "CPoppler", pkgConfig: "poppler-glib", providers: [.apt(["libpoppler-glib-dev"])]),
        .systemLibrary(name: "CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // OCR: Tesseract's C API and Leptonica (Debian: libtesseract-dev, libleptonica-dev).
        .systemLibrary(name: "CTesseract", pkgConfig: "tesseract", providers: [.apt(["libtesseract-dev", "libleptonica-dev"])]),
        // Only the tests write PDFs (cairo is already a dependency of poppler-glib).
        .systemLibrary(name: "CCairo", pkgConfig: "cairo-pdf", providers: [.apt(["libcairo2-dev"])]),

        // Linux calls Swift cannot import (GNU extensions, variadic functions), one wrapper each.
        .target(name: "CTomeSystem"),

        // file -> ExtractedDocument. Knows nothing of the engine or the store.
        .target(name: "TomeExtract", dependencies: ["CPoppler", "CLibXML2", "CZlib", "CTesseract"]),

        // Pure computation: tokens, Engram, indexer, attention, ask. No I/O, no other Tome module.
        .target(name: "TomeEngine"),

        // SQLite through GRDB: schema, migrations, documents and jobs.
        .target(name: "TomeStore", dependencies: ["TomeExtract", "TomeEngine", "TomeAPI", .product(name: "GRDB", package: "GRDB.swift")]),

        // The JSON bodies of the control API and its vocabulary (codes, statuses, kinds), shared by the daemon, the CLI and the store.
        .target(name: "TomeAPI"),

        // A client of OpenAI-compatible chat servers, the grounded prompt and its citations. Knows nothing of the rest of Tome.
        .target(
            name: "TomeLLM",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),

        // Config, spool watcher, jobs, child-process extraction, control API, systemd glue.
        .target(
            name: "TomeDaemon",
            dependencies: [
                "TomeExtract", "TomeEngine", "TomeStore", "TomeAPI", "TomeLLM", "CTomeSystem",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),

        // The daemon's executable: `tomed`, `tomed extract`, `tomed check-config`.
        .executableTarget(
            name: "tomed",
            dependencies: [
                "TomeExtract", "TomeDaemon", "CTomeSystem",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // The command-line client, over the control socket.
        .executableTarget(
            name: "tome",
            dependencies: [
                "TomeAPI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),

        // `make model`: distils the semantic head's encoder into static vectors, once, at install time.
        .executableTarget(name: "tome-distil", dependencies: ["TomeEngine"]),

        // `make bench`: the engine's analysis beside SQLite FTS5 (Benchmarks/README.md).
        .executableTarget(
            name: "tome-bench",
            dependencies: ["TomeEngine", .product(name: "GRDB", package: "GRDB.swift")],
            path: "Benchmarks/TomeBench"
        ),

        // `make fuzz`: libFuzzer's entry point over the extractors and the engine (built
        // with -sanitize=fuzzer -DFUZZING); an ordinary build replays the files it is given.
        .executableTarget(name: "tome-fuzz", dependencies: ["TomeExtract", "TomeEngine"], path: "Tests/Fuzz/Harness"),

        // Fixtures shared by the test targets: cairo-written PDFs and scans (Leptonica for TIFF and JPEG), scratch folders, child processes.
        .target(name: "TomeTestSupport", dependencies: ["CCairo", "CTesseract"], path: "Tests/TomeTestSupport"),
        .testTarget(name: "TomeExtractTests", dependencies: ["TomeExtract", "TomeTestSupport"]),
        .testTarget(name: "TomeEngineTests", dependencies: ["TomeEngine"], exclude: ["Fixtures"]),
        // Scripts/: the scripted chat server the protocol tests start as a child process.
        .testTarget(name: "TomeLLMTests", dependencies: ["TomeLLM", "TomeTestSupport"], exclude: ["Scripts"]),
        .testTarget(name: "TomeStoreTests", dependencies: ["TomeStore", "TomeEngine", "TomeTestSupport"]),
        .testTarget(name: "TomeDaemonTests", dependencies: [
            "TomeDaemon", "TomeEngine", "TomeExtract", "TomeStore", "TomeAPI", "TomeLLM", "TomeTestSupport",
            .product(name: "Logging", package: "swift-log"), .product(name: "HummingbirdTesting", package: "hummingbird"),
        ]),
        // Fixtures/ holds databases of earlier schemas, read from disk by UpgradeTests (not resources).
        .testTarget(name: "tomedTests", dependencies: ["tomed", "tome", "TomeAPI", "TomeEngine", "TomeTestSupport", .product(name: "GRDB", package: "GRDB.swift")],
                    exclude: ["Fixtures"]),
    ],
    swiftLanguageModes: [.v6]
)
