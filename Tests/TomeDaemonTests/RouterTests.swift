import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing
import TomeAPI
import TomeEngine
import TomeExtract
import TomeStore
import TomeTestSupport

@testable import TomeDaemon

/// Every route of the control API, called through the router (Hummingbird's
/// testing module, no socket) on a real store and corpus memory: each
/// success's shape and each error's status and code. The peer is given,
/// not read from a socket: root, a member of `read_groups`, and an outsider.
/// (The end-to-end tests drive the same API through a real daemon.)
@Suite struct RouterTests {
    static let readerGroup: UInt32 = 4242
    static let root = PeerCredentials(pid: 1, uid: 0, gid: 0)
    static let reader = PeerCredentials(pid: 1, uid: 54321, gid: readerGroup)
    static let outsider = PeerCredentials(pid: 1, uid: 54322, gid: 4343)

    /// The API's parts on a scratch state dir, with one done document ("ledger.txt").
    final class Parts {
        let scratch = Scratch()
        let store: Store
        let api: ControlAPI
        let done: Int64

        init(maxEventStreams: Int = 16) throws {
            let logger = Logger(label: "router-test")
            var config = DaemonConfig()
            (config.stateDir, config.spoolDir) = (scratch.file("state"), scratch.file("spool"))
            (config.readGroups, config.writeGroups, config.maxEventStreams) = (["\(RouterTests.readerGroup)"], [], maxEventStreams)
            try FileManager.default.createDirectory(atPath: config.stateDir, withIntermediateDirectories: true)
            store = try Store(path: config.databasePath)
            let memory = try CorpusMemory(path: config.engramPath)
            try memory.reconcile(with: store, logger: logger)
            let settings = SettingsBox(config, pipelines: ["default": Pipeline(name: "default", questions: ["Who keeps the ledger?"])])
            let events = EventHub()
            let storage = StorageMonitor(settings: settings, store: store, events: events, logger: logger)
            let claims = ClaimFolder(stateDir: config.stateDir)
            try claims.prepare()
            let disposer = Disposer(store: store, settings: settings, claims: claims, logger: logger)
            let intake = Intake(store: store, settings: settings, events: events, disposer: disposer, storage: storage, claims: claims,
                                jobsBell: Doorbell(), logger: logger)
            let asker = AskService(store: store, memory: memory, parameters: EngineParameters(), cacheBytes: 16 << 20)
            let lanes = Lanes()
            let answerer = PipelineAnswerer(store: store, asker: asker, memory: memory, settings: settings, lane: lanes.asks, logger: logger)
            let writer = GroundedAnswerer(store: store, model: LanguageModel(config: config.llm, logger: logger))
            let answers = AnswersAPI(store: store, settings: settings, answerer: answerer,
                                     written: WrittenWorker(store: store, asker: asker, writer: writer, memory: memory, settings: settings,
                                                            lane: lanes.asks, logger: logger))
            api = ControlAPI(
                documents: DocumentsAPI(store: store, intake: intake, asker: asker, memory: memory, events: events, settings: settings, lanes: lanes,
                                        storage: storage, disposer: disposer, answers: answers, logger: logger),
                ask: AskAPI(asker: asker, memory: memory, lanes: lanes, writer: writer), search: SearchAPI(store: store, lanes: lanes),
                extractions: ExtractionsAPI(store: store), answers: answers, events: EventsAPI(events: events, settings: settings),
                status: StatusAPI(store: store, memory: memory, events: events, metrics: Metrics(), settings: settings, storage: storage,
                                  workers: 2, startedAt: monotonicNow()),
                settings: settings, peer: { _ in RouterTests.root })
            // A done document, stored as a worker stores one.
            let text = "The harbour ledger is kept by the pilot Idris Maalouf. It lists 42 crates of copper wire, worth €1,250, landed on 3 March 2024."
            guard case let .queued(id, job) = try store.enqueue(sha256: "ledger", name: "ledger.txt", pipeline: "default", bytes: 10,
                                                                sourcePath: scratch.file("ledger.txt"), now: Date()) else { throw CancellationError() }
            let lifecycle = JobLifecycle(retries: 0, backoffSeconds: 1)
            _ = try store.claimNextJob(lifecycle: lifecycle, now: Date())
            let document = ExtractedDocument(type: .text, text: text, pages: [PageSpan(number: 1, start: 0, end: text.utf8.count)],
                                             metadata: DocumentMetadata(), outline: [])
            let analysis = try DocumentAnalyzer(workers: 1).analyze(text)
            let store = self.store
            try memory.follow({ try store.complete(jobID: job, documentID: id, document: document, analysis: analysis, lifecycle: lifecycle,
                                                   now: Date(), beforeCommit: $0) }, logger: logger)
            done = id
        }

        /// The API as `peer` sees it.
        func app(as peer: PeerCredentials) -> some ApplicationProtocol {
            var api = self.api
            api = ControlAPI(documents: api.documents, ask: api.ask, search: api.search, extractions: api.extractions, answers: api.answers,
                             events: api.events, status: api.status, settings: api.settings, peer: { _ in peer })
            return Application(router: api.router())
        }
    }

    /// The response's JSON object.
    static func json(_ response: TestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]) ?? [:]
    }

    /// The `error.code` of an error response.
    static func code(_ response: TestResponse) -> String? {
        (json(response)["error"] as? [String: Any])?["code"] as? String
    }

    static func body(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    @Test func statusRoutes() async throws {
        let parts = try Parts()
        try await parts.app(as: Self.root).test(.router) { client in
            try await client.execute(uri: "/v1/health", method: .get) { #expect($0.status == .ok && Self.json($0)["status"] as? String == "ok") }
            try await client.execute(uri: "/v1/status", method: .get) { response in
                #expect(response.status == .ok)
                let status = Self.json(response)
                #expect((status["documents"] as? [String: Int])?["done"] == 1)
                #expect(status["pipelines"] as? [String] == ["default"])
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("tome_documents{status=\"done\"} 1"))
            }
            try await client.execute(uri: "/v1/health", method: .delete) { response in
                #expect(response.status == .methodNotAllowed && Self.code(response) == "method_not_allowed")
                #expect(response.headers[.allow] == "GET")
            }
            try await client.execute(uri: "/v1/nothing", method: .get) { #expect($0.status == .notFound && Self.code($0) == "not_found") }
        }
    }

    @Test func documentRoutes() async throws {
        let parts = try Parts()
        let done = parts.done
        try await parts.app(as: Self.root).test(.router) { client in
            try await client.execute(uri: "/v1/documents", method: .get) { response in
                #expect(response.status == .ok)
                #expect((Self.json(response)["documents"] as? [[String: Any]])?.first?["status"] as? String == "done")
            }
            try await client.execute(uri: "/v1/documents?limt=5", method: .get) { response in
                #expect(response.status == .badRequest && Self.code(response) == "bad_request")
                #expect(String(buffer: response.body).contains("limt"))
            }
            try await client.execute(uri: "/v1/documents?status=lost", method: .get) { #expect(Self.code($0) == "bad_request") }
            try await client.execute(uri: "/v1/documents/\(done)", method: .get) { #expect(Self.json($0)["name"] as? String == "ledger.txt") }
            try await client.execute(uri: "/v1/documents/999", method: .get) { #expect($0.status == .notFound && Self.code($0) == "not_found") }
            try await client.execute(uri: "/v1/documents/abc", method: .get) { #expect(Self.code($0) == "bad_request") }
            try await client.execute(uri: "/v1/documents/\(done)/text", method: .get) { #expect(String(buffer: $0.body).hasPrefix("The harbour ledger")) }
            try await client.execute(uri: "/v1/documents/\(done)/text?page=2", method: .get) { #expect($0.status == .notFound) }

            // An upload: queued, then the same bytes again are a duplicate naming it; bad names and forms refused.
            var queued: Int64 = 0
            try await client.execute(uri: "/v1/documents?name=notes/a.txt", method: .post, body: Self.body("A note on the tide tables.\n")) { response in
                #expect(response.status == .created && Self.json(response)["status"] as? String == "queued")
                queued = Int64(Self.json(response)["id"] as? Int ?? 0)
            }
            try await client.execute(uri: "/v1/documents?name=b.txt", method: .post, body: Self.body("A note on the tide tables.\n")) { response in
                #expect(response.status == .conflict && Self.code(response) == "duplicate")
                #expect(Self.json(response)["id"] as? Int == Int(queued))
            }
            try await client.execute(uri: "/v1/documents?name=../x.txt", method: .post, body: Self.body("x")) { #expect(Self.code($0) == "bad_request") }
            try await client.execute(uri: "/v1/documents?name=e.txt", method: .post, body: Self.body("")) { #expect(Self.code($0) == "bad_request") }
            try await client.execute(uri: "/v1/documents?name=f.txt", method: .post, headers: [.contentType: "multipart/form-data; boundary=x"],
                                     body: Self.body("--x")) { #expect($0.status == .unsupportedMediaType) }
            // A queued document is in work: 409 busy to delete or reprocess; not_ready to read.
            try await client.execute(uri: "/v1/documents/\(queued)", method: .delete) { #expect($0.status == .conflict && Self.code($0) == "busy") }
            try await client.execute(uri: "/v1/documents/\(queued)/reprocess", method: .post) { #expect(Self.code($0) == "busy") }
            try await client.execute(uri: "/v1/documents/\(done)/reprocess?stage=some", method: .post) { #expect(Self.code($0) == "bad_request") }
            for what in ["text", "summary", "answers", "extractions"] {
                try await client.execute(uri: "/v1/documents/\(queued)/\(what)", method: .get) { #expect(Self.code($0) == "not_ready", "\(what)") }
            }
            // The done document's file was not kept: it cannot be processed again.
            try await client.execute(uri: "/v1/documents/\(done)/reprocess", method: .post) { #expect(Self.code($0) == "source_gone") }
            try await client.execute(uri: "/v1/documents/\(done)", method: .delete) { #expect($0.status == .noContent) }
            try await client.execute(uri: "/v1/documents/\(done)", method: .get) { #expect($0.status == .notFound) }
        }
    }

    @Test func whatWasWrittenOfADocument() async throws {
        let parts = try Parts()
        let done = parts.done
        try await parts.app(as: Self.root).test(.router) { client in
            try await client.execute(uri: "/v1/documents/\(done)/summary", method: .get) { response in
                #expect(response.status == .ok)
                #expect((Self.json(response)["summary"] as? [String: Any]) != nil)
            }
            try await client.execute(uri: "/v1/documents/\(done)/answers", method: .get) { response in
                #expect(Self.json(response)["current"] as? Bool == false)  // not answered yet
            }
            try await client.execute(uri: "/v1/documents/\(done)/reprocess?stage=answers", method: .post) { response in
                #expect(response.status == .ok)
                let items = Self.json(response)["answers"] as? [[String: Any]]
                #expect(((items?.first?["answer"] as? [String: Any])?["text"] as? String)?.contains("Idris Maalouf") == true)
            }
            try await client.execute(uri: "/v1/documents/\(done)/extractions?kind=amounts", method: .get) { response in
                #expect(((Self.json(response)["amounts"] as? [[String: Any]])?.first?["currency"] as? String) == "EUR")
            }
            try await client.execute(uri: "/v1/documents/\(done)/extractions?kind=colours", method: .get) { #expect(Self.code($0) == "bad_request") }
            try await client.execute(uri: "/v1/extractions?kind=dates&from=2024", method: .get) { response in
                #expect(((Self.json(response)["items"] as? [[String: Any]])?.first?["value"] as? String) == "2024-03-03")
            }
            try await client.execute(uri: "/v1/extractions", method: .get) { #expect(Self.code($0) == "bad_request") }
            try await client.execute(uri: "/v1/extractions?kind=dates&min=3", method: .get) { #expect(Self.code($0) == "bad_request") }
        }
    }

    @Test func askSearchAndEngram() async throws {
        let parts = try Parts()
        let done = parts.done
        try await parts.app(as: Self.root).test(.router) { client in
            try await client.execute(uri: "/v1/documents/\(done)/ask", method: .post, body: Self.body(#"{"question": "Who keeps the ledger?", "k": 1}"#)) { response in
                #expect(response.status == .ok)
                let answers = Self.json(response)["answers"] as? [[String: Any]]
                #expect((answers?.first?["text"] as? String)?.contains("Idris Maalouf") == true)
                #expect((Self.json(response)["stats"] as? [String: Any])?["mode"] as? String == "sparse")
            }
            try await client.execute(uri: "/v1/ask", method: .post, body: Self.body(#"{"question": "copper wire", "mode": "dense"}"#)) { response in
                #expect((Self.json(response)["stats"] as? [String: Any])?["mode"] as? String == "dense")
            }
            for bad in [#"{"question": "x", "mode": "deep"}"#, #"{"question": "x", "k": 0}"#, #"{"k": 3}"#, #"{"question": 5}"#, "not json", #"{"question": "?!"}"#] {
                try await client.execute(uri: "/v1/ask", method: .post, body: Self.body(bad)) { #expect(Self.code($0) == "bad_request", "\(bad)") }
            }
            try await client.execute(uri: "/v1/documents/999/ask", method: .post, body: Self.body(#"{"question": "x"}"#)) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/v1/search?q=copper", method: .get) { response in
                #expect(((Self.json(response)["hits"] as? [[String: Any]])?.first?["snippet"] as? String)?.contains("<mark>copper</mark>") == true)
            }
            try await client.execute(uri: "/v1/search?q=%22unclosed", method: .get) { #expect(Self.code($0) == "bad_query") }
            try await client.execute(uri: "/v1/search", method: .get) { #expect(Self.code($0) == "bad_request") }
            try await client.execute(uri: "/v1/engram?q=copper+wire", method: .get) { #expect(Self.json($0)["documents"] as? Int == 1) }
            try await client.execute(uri: "/v1/engram", method: .get) { #expect(Self.code($0) == "bad_request") }
        }
    }

    @Test func eventStreamsAreBounded() async throws {
        let parts = try Parts(maxEventStreams: 0)
        try await parts.app(as: Self.root).test(.router) { client in
            try await client.execute(uri: "/v1/events", method: .get) { response in
                #expect(response.status == .serviceUnavailable && Self.code(response) == "too_many_streams")
            }
        }
    }

    /// Each endpoint's access level decides: a reader reads and asks, and may not change anything; an outsider may do nothing.
    @Test func accessFollowsEachEndpointsLevel() async throws {
        let parts = try Parts()
        let done = parts.done
        try await parts.app(as: Self.reader).test(.router) { client in
            try await client.execute(uri: "/v1/documents/\(done)", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v1/documents/\(done)/ask", method: .post, body: Self.body(#"{"question": "copper"}"#)) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v1/documents?name=x.txt", method: .post, body: Self.body("x")) { #expect(Self.code($0) == "forbidden") }
            try await client.execute(uri: "/v1/documents/\(done)", method: .delete) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/v1/documents/\(done)/reprocess", method: .post) { #expect($0.status == .forbidden) }
        }
        try await parts.app(as: Self.outsider).test(.router) { client in
            try await client.execute(uri: "/v1/health", method: .get) { #expect($0.status == .forbidden && Self.code($0) == "forbidden") }
        }
    }
}
