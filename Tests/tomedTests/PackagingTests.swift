import Foundation
import Testing
import TomeTestSupport

/// `make install` into a scratch DESTDIR, and the installed units through
/// `systemd-analyze verify` (which fails on a bad ExecStart or a missing unit).
@Suite struct PackagingTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized.path

    @Test func installPutsEveryPieceInPlace() throws {
        let scratch = Scratch()
        let destdir = scratch.file("root")
        let make = try runProcess("make", ["-C", Self.root, "install-files", "DESTDIR=\(destdir)", "PREFIX=/usr", "BUILD_DIR=\(productsDirectory)"])
        try #require(make.status == 0, "\(make.stderr)")
        for path in ["usr/bin/tomed", "usr/bin/tome", "usr/lib/systemd/system/tomed.service", "usr/lib/sysusers.d/tome.conf",
                     "usr/lib/tmpfiles.d/tome.conf", "etc/tome/tomed.toml", "etc/tome/pipelines/default.toml", "usr/share/doc/tome/openapi.yaml"] {
            #expect(FileManager.default.fileExists(atPath: destdir + "/" + path), "\(path) missing")
        }
        let unit = String(decoding: scratch.read("root/usr/lib/systemd/system/tomed.service"), as: UTF8.self)
        #expect(unit.contains("ExecStart=/usr/bin/tomed --config /etc/tome/tomed.toml"))
        #expect(!unit.contains("@BINDIR@"))
        // The semantic head's model (make test runs make model first) is installed where the installed config looks for it.
        let config = String(decoding: scratch.read("root/etc/tome/tomed.toml"), as: UTF8.self)
        #expect(config.contains("model_dir = \"/usr/share/tome/models/all-MiniLM-L6-v2\""))
        for file in ["vocab.txt", "static-vectors.bin", "README.md", "NOTICE"] {
            #expect(FileManager.default.fileExists(atPath: destdir + "/usr/share/tome/models/all-MiniLM-L6-v2/" + file), "\(file) missing")
        }
        // The installed config is the shipped one, and valid.
        let check = try runProcess(destdir + "/usr/bin/tomed", ["check-config", destdir + "/etc/tome/tomed.toml"])
        #expect(check.status == 0, "\(check.stderr)")
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze"), "systemd-analyze is not installed"))
    func unitsPassSystemdAnalyzeVerify() throws {
        let scratch = Scratch()
        let destdir = scratch.file("root")
        try #require(try runProcess("make", ["-C", Self.root, "install-files", "DESTDIR=\(destdir)", "PREFIX=/usr", "BUILD_DIR=\(productsDirectory)"]).status == 0)
        // Point the unit at the files under DESTDIR, where verify can find them.
        let installed = String(decoding: scratch.read("root/usr/lib/systemd/system/tomed.service"), as: UTF8.self)
        let unit = installed.replacingOccurrences(of: "/usr/bin/", with: destdir + "/usr/bin/")
            .replacingOccurrences(of: "/etc/tome/", with: destdir + "/etc/tome/")
        scratch.write("tomed.service", unit)
        let verify = try runProcess("systemd-analyze", ["verify", scratch.file("tomed.service")])
        #expect(verify.status == 0, "\(verify.stderr)")
        // And verify does fail on a broken unit, so the check above means something.
        scratch.write("broken.service", unit.replacingOccurrences(of: "ExecStart=", with: "ExecStart=/nonexistent"))
        #expect(try runProcess("systemd-analyze", ["verify", scratch.file("broken.service")]).status != 0)
    }
}
