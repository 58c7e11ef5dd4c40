import Foundation
import Testing
import TomeAPI
import TomeEngine

/// `openapi.yaml` and `TomeAPI`'s vocabulary list the same values: a code,
/// kind or stage added to one and not the other fails here.
@Suite struct OpenAPIVocabularyTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized.path

    /// The values of the `enum: [...]` on the first line of the document that matches `anchor`.
    static func listed(after anchor: String) throws -> Set<String> {
        let text = try String(contentsOfFile: root + "/openapi.yaml", encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.contains(anchor) }, "no line with \(anchor)")
        let open = try #require(line.range(of: "enum: ["), "no enum on \(line)")
        let close = try #require(line[open.upperBound...].firstIndex(of: "]"))
        return Set(line[open.upperBound..<close].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
    }

    @Test func errorCodesAgree() throws {
        #expect(try Self.listed(after: "enum: [bad_request,") == Set(ErrorCode.all.map(\.rawValue)))
    }

    @Test func failureCodesAgree() throws {
        #expect(try Self.listed(after: "code: {type: string, enum: [empty,") == Set(FailureCode.all.map(\.rawValue)))
    }

    @Test func eventKindsStagesStatusesAndModesAgree() throws {
        #expect(try Self.listed(after: "event: {type: string, enum: [") == Set(EventKind.all.map(\.rawValue)))
        #expect(try Self.listed(after: "stage: {type: string, enum: [") == Set(Stage.all.map(\.rawValue)))
        #expect(try Self.listed(after: "status: {type: string, enum: [queued, processing") == Set(DocumentStatus.allCases.map(\.rawValue)))
        #expect(try Self.listed(after: "mode: {type: string, enum: [sparse") == Set(AskMode.allCases.map(\.rawValue)))
    }

    /// The amount roles the API lists are the engine's, and the wire's.
    @Test func amountRolesAgree() throws {
        #expect(try Self.listed(after: "enum: [total, subtotal") == Set(AmountRoleName.all.map(\.rawValue)))
        #expect(Set(AmountRole.allCases.map(\.rawValue)) == Set(AmountRoleName.all.map(\.rawValue)))
    }

    @Test func answerKindsAgree() throws {
        #expect(try Self.listed(after: "enum: [date, quantity") == Set(AnswerKind.allCases.map(\.rawValue)))
    }

    /// Every code the daemon sends is one of the listed ones: none is spelt in the daemon's sources but through `ErrorCode`.
    @Test func theDaemonSpellsNoCodeOutsideTheVocabulary() throws {
        let folder = Self.root + "/Sources/TomeDaemon"
        for file in try FileManager.default.subpathsOfDirectory(atPath: folder) where file.hasSuffix(".swift") {
            let text = try String(contentsOfFile: folder + "/" + file, encoding: .utf8)
            #expect(!text.contains(#"code: ""#), "\(file) spells an error code as a string literal")
            #expect(!text.contains(#"event: ""#), "\(file) spells an event kind as a string literal")
            #expect(!text.contains(#"stage: ""#), "\(file) spells a stage as a string literal")
        }
    }
}
