import Foundation
import Testing
import TomeAPI
import TomeTestSupport

import TomeEngine
import TomeLLM
@testable import TomeDaemon

@Suite struct DaemonConfigTests {
    @Test func shippedConfigIsValidAndEqualToTheDefaults() throws {
        // Config/tomed.toml documents every key with its default value.
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Config/tomed.toml").standardized.path
        let shipped = try DaemonConfig.load(path: path)
        let defaults = DaemonConfig()
        #expect(shipped == defaults)
    }

    @Test func valuesAreRead() throws {
        let config = try DaemonConfig.parse("""
            state_dir = "/srv/tome"
            [spool]
            dir = "/srv/spool"
            settle_ms = 250
            on_success = "delete"
            [jobs]
            workers = 3
            retry_backoff_s = 0.5
            [api]
            socket_mode = "0600"
            read_groups = ["auditors"]
            """, file: "t.toml")
        #expect(config.stateDir == "/srv/tome")
        #expect(config.resolvedArchiveDir == "/srv/tome/archive")
        #expect(config.spoolDir == "/srv/spool")
        #expect(config.settleMilliseconds == 250)
        #expect(config.onSuccess == .delete)
        #expect(config.resolvedWorkers == 3)
        #expect(config.retryBackoffSeconds == 0.5)
        #expect(config.socketMode == 0o600)
        #expect(config.readGroups == ["auditors"])
        // Folders are absolute and normalised, so the daemon's "is this file in the archive" test agrees with itself.
        let relative = try DaemonConfig.parse("state_dir = \"var/./state/\"\n[spool]\ndir = \"var/x/../spool\"\narchive_dir = \"/srv/a//b/\"\n", file: "t.toml")
        let cwd = FileManager.default.currentDirectoryPath
        #expect(relative.stateDir == cwd + "/var/state")
        #expect(relative.spoolDir == cwd + "/var/spool")
        #expect(relative.resolvedArchiveDir == "/srv/a/b")
    }

    @Test func theLanguageModelIsOffByDefaultAndItsKeysAreChecked() throws {
        #expect(!DaemonConfig().llm.isConfigured)
        let scratch = Scratch()
        let keyFile = scratch.write("llm.key", "sk-from-file\n")
        let config = try DaemonConfig.parse("""
            [llm]
            base_url = "http://127.0.0.1:8080/v1"
            model = "smollm2"
            api_key_file = "\(keyFile)"
            max_context_tokens = 4096
            concurrency = 1
            """, file: "t.toml")
        #expect(config.llm.isConfigured && config.llm.model == "smollm2" && config.llm.maxContextTokens == 4096 && config.llm.concurrency == 1)
        #expect(try LanguageModel.apiKey(config.llm, environment: ["TOME_LLM_API_KEY": "sk-env"]) == APIKey("sk-from-file"), "the file comes first")
        var fromEnvironment = config.llm
        fromEnvironment.apiKeyFile = ""
        #expect(try LanguageModel.apiKey(fromEnvironment, environment: ["TOME_LLM_API_KEY": "sk-env"]) == APIKey("sk-env"))
        #expect(try LanguageModel.apiKey(fromEnvironment, environment: [:]) == nil, "a local server needs no key")
        var missing = config.llm
        missing.apiKeyFile = scratch.file("nowhere.key")
        #expect(throws: ConfigError.self) { try missing.checkKey() }

        func problem(_ text: String) -> String {
            do { _ = try DaemonConfig.parse(text, file: "t.toml"); return "" } catch { return "\(error)" }
        }
        #expect(problem("[llm]\nbase_url = \"ftp://x\"\nmodel = \"m\"").contains("llm.base_url: must start with http:// or https://"))
        #expect(problem("[llm]\nbase_url = \"http://x/v1\"").contains("llm.model: is required with base_url"))
        #expect(problem("[llm]\nbase_url = \"http://x/v1\"\nmodel = \"m\"\nmax_reply_tokens = 5000").contains("llm.max_reply_tokens: must be at most half"))
        #expect(problem("[llm]\nmax_context_tokens = 100").contains("llm.max_context_tokens: must be at least 1024"))
        #expect(problem("[llm]\nkey = \"x\"").contains("llm.key: unknown key"))
    }

    @Test func syntaxErrorNamesTheLine() {
        let error = #expect(throws: ConfigError.self) { try DaemonConfig.parse("state_dir = \"/a\"\n[spool\n", file: "bad.toml") }
        #expect(error?.location.hasPrefix("line 2") == true)
    }

    @Test func unknownKeyAndBadValueNameTheKey() {
        let unknown = #expect(throws: ConfigError.self) { try DaemonConfig.parse("[spool]\nsettle = 5\n", file: "x.toml") }
        #expect(unknown?.location == "spool.settle")
        #expect(unknown?.message == "unknown key")
        let wrongType = #expect(throws: ConfigError.self) { try DaemonConfig.parse("[jobs]\nworkers = \"two\"\n", file: "x.toml") }
        #expect(wrongType?.location == "jobs.workers")
        let badEnum = #expect(throws: ConfigError.self) { try DaemonConfig.parse("[spool]\non_success = \"shred\"\n", file: "x.toml") }
        #expect(badEnum?.location == "spool.on_success")
        let negative = #expect(throws: ConfigError.self) { try DaemonConfig.parse("[jobs]\nretries = -1\n", file: "x.toml") }
        #expect(negative?.message.contains("at least 0") == true)
    }

    @Test func pipelinesAreNamedByTheirFiles() throws {
        let scratch = Scratch()
        scratch.write("contracts.toml", "description = \"Contracts\"\nquestions = [\"Who are the parties?\", \"When does it end?\"]\nexperts = []\n")
        scratch.write("broken.toml", "description = \n")
        scratch.write("odd.toml", "description = \"Odd\"\n\ncolour = \"blue\"\n")
        scratch.write("typed.toml", "questions = \"Who?\"\n")
        scratch.write("experts.toml", "experts = [\"dates\", \"prices\"]\n")
        scratch.write("order.toml", "date_order = \"dym\"\n")
        scratch.write("invoices.toml", "experts = [\"dates\", \"amounts\"]\ndate_order = \"mdy\"\nkeyphrases = 5\n")
        scratch.write("long.toml", "summary_sentences = 500\n")
        scratch.write("letters.toml", "written_answers = true\nwritten_summary = true\n")
        scratch.write("yes.toml", "written_summary = \"yes\"\n")
        scratch.write("covers.toml", "summary_covers = [\"Who are the parties?\", \"Which law governs it?\"]\nsummary_sentences = 4\n")
        scratch.write("blank.toml", "summary_covers = [\"  \"]\n")
        let loaded = Pipelines.load(directory: scratch.path)
        let names = Set(loaded.pipelines.keys)
        #expect(names == ["default", "contracts", "invoices", "letters", "covers"])
        let covers = try #require(loaded.pipelines["covers"]?.summary)
        #expect(covers.covers == ["Who are the parties?", "Which law governs it?"] && covers.sentences == 4 && loaded.pipelines["default"]?.summary.covers == [])
        #expect(problemsByFile(loaded)["blank.toml"]?.key == "summary_covers" && problemsByFile(loaded)["blank.toml"]?.message.contains("must have words") == true)
        #expect(loaded.pipelines["letters"]?.written == [.summary, .answers] && loaded.pipelines["default"]?.written == [])
        #expect(loaded.pipelines["contracts"]?.extraction.kinds.isEmpty == true)
        #expect(loaded.pipelines["default"]?.extraction.kinds.count == 10)
        let invoices = try #require(loaded.pipelines["invoices"]?.extraction)
        #expect(invoices.kinds == [.dates, .amounts] && invoices.dateOrder == .mdy && invoices.keyphrases == 5)
        #expect(loaded.pipelines["contracts"]?.questions == ["Who are the parties?", "When does it end?"])
        // Each problem names its file, line and key.
        let problems = problemsByFile(loaded)
        #expect(problems["broken.toml"]?.line == 1)
        #expect(problems["odd.toml"]?.line == 3 && problems["odd.toml"]?.key == "colour")
        #expect(problems["typed.toml"]?.key == "questions" && problems["typed.toml"]?.message == "must be a list of strings")
        #expect(problems["long.toml"]?.key == "summary_sentences" && problems["long.toml"]?.line == 1)
        #expect(problems["experts.toml"]?.description.contains("experts.toml: line 1: experts: unknown expert \"prices\" (known: dates, amounts") == true)
        #expect(problems["order.toml"]?.key == "date_order")
        #expect(problems["yes.toml"]?.key == "written_summary" && problems["yes.toml"]?.message == "must be true or false")
        #expect(Pipelines.pipeline(forRelativePath: "contracts/a.pdf", known: names) == "contracts")
        #expect(Pipelines.pipeline(forRelativePath: "other/a.pdf", known: names) == "default")
        #expect(Pipelines.pipeline(forRelativePath: "contracts.pdf", known: names) == "default")
    }

    func problemsByFile(_ loaded: (pipelines: [String: Pipeline], problems: [Pipelines.Problem])) -> [String: Pipelines.Problem] {
        Dictionary(uniqueKeysWithValues: loaded.problems.map { (($0.file as NSString).lastPathComponent, $0) })
    }

    /// A definition that breaks keeps its last good version; one that was
    /// never good is left out.
    @Test func aBrokenPipelineKeepsItsLastGoodVersion() {
        let scratch = Scratch()
        scratch.write("contracts.toml", "questions = [\"Who are the parties?\"]\n")
        let first = Pipelines.load(directory: scratch.path)
        scratch.write("contracts.toml", "questions = [\"Who are the parties?\"\n")
        scratch.write("new.toml", "questions = [\n")
        let second = Pipelines.load(directory: scratch.path, previous: first.pipelines)
        #expect(second.problems.count == 2)
        #expect(second.pipelines["contracts"] == first.pipelines["contracts"])
        #expect(second.pipelines["new"] == nil)
    }
}

@Suite struct AccessPolicyTests {
    @Test func rootAndWriteGroupsWriteReadGroupsReadOthersNothing() {
        var policy = AccessPolicy(writeGroups: [], readGroups: [], daemonUID: 500)
        policy.writeGroups = [100]
        policy.readGroups = [200]
        #expect(policy.level(uid: 0, groups: []) == .write)
        #expect(policy.level(uid: 500, groups: []) == .write)
        #expect(policy.level(uid: 1000, groups: [5, 100]) == .write)
        #expect(policy.level(uid: 1000, groups: [200]) == .read)
        #expect(policy.level(uid: 1000, groups: [300]) == AccessPolicy.Level.none)
    }

    @Test func groupNamesResolveThroughNSS() {
        #expect(Accounts.gid(ofGroup: "root") == 0)
        #expect(Accounts.gid(ofGroup: "no-such-group-tome") == nil)
        #expect(Accounts.groups(ofUID: 0, primary: 0).contains(0))
    }
}

@Suite struct ExtractionOutcomeTests {
    @Test func signalsAreCrashesWithTheirName() {
        guard case let .failed(code, message, transient) = ExtractionRunner.interpret(status: 11, stdout: [], lastError: "", memoryMB: 100) else {
            Issue.record("expected a failure")
            return
        }
        #expect(code == .crashed)
        #expect(message == "parser crashed: signal 11 (SIGSEGV)")
        #expect(transient)
    }

    @Test func typedErrorsArePermanent() {
        let body = Array(#"{"error":{"code":"encrypted","message":"needs a password"}}"#.utf8)
        guard case let .failed(code, message, transient) = ExtractionRunner.interpret(status: 1 << 8, stdout: body, lastError: "", memoryMB: 100) else {
            Issue.record("expected a failure")
            return
        }
        #expect(code == .encrypted)
        #expect(message == "needs a password")
        #expect(!transient)
    }

    /// The child's progress reports read back as it wrote them; a diagnostic line is not one.
    @Test func progressLinesRoundTrip() {
        for progress in [DocumentProgress(stage: .extracting, done: 12, total: 40), DocumentProgress(stage: .analysing)] {
            let line = ExtractionRequest.progressLine(progress)
            #expect(line.hasSuffix("\n"))
            #expect(ExtractionRequest.progress(in: String(line.dropLast())) == progress)
        }
        #expect(ExtractionRequest.progress(in: "warning: something") == nil)
        #expect(ExtractionRequest.progress(in: "tome-progress not json") == nil)
    }

    /// A child that exits 0 with bytes that are not a record fails its document; it cannot harm the daemon.
    @Test func aRecordThatDoesNotDecodeIsACrash() {
        for stdout in [[], Array("TOMEREC".utf8), Array("{\"type\":\"pdf\"}".utf8)] {
            guard case let .failed(code, message, transient) = ExtractionRunner.interpret(status: 0, stdout: stdout, lastError: "", memoryMB: 100) else {
                Issue.record("expected a failure")
                continue
            }
            #expect(code == .crashed)
            #expect(message.hasPrefix("the parser's record did not decode"))
            #expect(transient)
        }
    }
}
