// swift-tools-version: 6.0
//
// Tome: a daemon for long documents. Targets follow ../shared/DESIGN.md;
// each is declared once it has real code. Dependencies point at GitHub
// addresses at versions the local package mirror serves.
import PackageDescription

let package = Package(
    name: "Tome",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "tomed", targets: ["tomed"]),
        .library(name: "TomeExtract", targets: ["TomeExtract"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // C libraries, through pkg-config (Debian: libpoppler-glib-dev, libxml2-dev, zlib1g-dev, libcairo2-dev).
        .systemLibrary(name: "CPoppler", pkgConfig: "poppler-glib", providers: [.apt(["libpoppler-glib-dev"])]),
        .systemLibrary(name: "CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // Only the tests write PDFs (cairo is already a dependency of poppler-glib).
        .systemLibrary(name: "CCairo", pkgConfig: "cairo-pdf", providers: [.apt(["libcairo2-dev"])]),

        // file -> ExtractedDocument. Knows nothing of the engine or the store.
        .target(name: "TomeExtract", dependencies: ["CPoppler", "CLibXML2", "CZlib"]),

        // The daemon's executable. Today: `tomed extract`.
        .executableTarget(
            name: "tomed",
            dependencies: [
                "TomeExtract",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Fixtures shared by the test targets: cairo-written PDFs, scratch folders, child processes.
        .target(name: "TomeTestSupport", dependencies: ["CCairo"], path: "Tests/TomeTestSupport"),
        .testTarget(name: "TomeExtractTests", dependencies: ["TomeExtract", "TomeTestSupport"]),
        .testTarget(name: "tomedTests", dependencies: ["tomed", "TomeTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
