import Foundation

/// A temporary directory for one test, removed when the value is released.
public final class Scratch {
    public let path: String

    public init() {
        let template = FileManager.default.temporaryDirectory.appendingPathComponent("tome-test-XXXXXX").path
        var bytes = Array(template.utf8CString)
        let made = bytes.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.flatMap { mkdtemp($0) } }
        precondition(made != nil, "mkdtemp failed")
        path = String(decoding: bytes.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// The path of `name` inside the directory.
    public func file(_ name: String) -> String { path + "/" + name }

    /// Writes `bytes` to `name` and returns its path.
    @discardableResult
    public func write(_ name: String, _ bytes: [UInt8]) -> String {
        let target = file(name)
        precondition(FileManager.default.createFile(atPath: target, contents: Data(bytes)), "cannot write \(target)")
        return target
    }

    @discardableResult
    public func write(_ name: String, _ text: String) -> String { write(name, Array(text.utf8)) }

    public func read(_ name: String) -> [UInt8] {
        FileManager.default.contents(atPath: file(name)).map { Array($0) } ?? []
    }
}

/// The result of running a child process to completion.
public struct ProcessResult {
    public var status: Int32
    public var stdout: Data
    public var stderr: String
}

/// Runs `executable` with `arguments`, collecting both outputs; the
/// executable is looked up on PATH when it has no slash.
public func runProcess(_ executable: String, _ arguments: [String]) throws -> ProcessResult {
    let process = Process()
    if executable.contains("/") {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
    } else {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
    }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Drain both pipes while the child runs, so a large output cannot block it.
    final class Collected: @unchecked Sendable { var data = Data() }  // written once, read after wait()
    let errors = Collected()
    let drained = DispatchGroup()
    DispatchQueue.global().async(group: drained) { errors.data = err.fileHandleForReading.readDataToEndOfFile() }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    drained.wait()
    process.waitUntilExit()
    let errData = errors.data
    return ProcessResult(status: process.terminationStatus, stdout: outData, stderr: String(decoding: errData, as: UTF8.self))
}

/// The folder holding the built products (`tomed`, the test bundle).
public var productsDirectory: String {
    if let override = ProcessInfo.processInfo.environment["TOME_PRODUCTS"] { return override }
    return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
}
