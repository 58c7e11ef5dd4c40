import Testing

@testable import TomeEngine

/// Golden tokenization and canonical ids: the same input gives the same
/// tokens and ids, byte for byte, on every machine and run.
@Suite struct TokenizerTests {
    func tokens(_ text: String) -> [String] {
        var tokenizer = Tokenizer()
        let bytes = Array(text.utf8)
        return tokenizer.tokenize(text).map { String(decoding: bytes[Int($0.start)..<Int($0.end)], as: UTF8.self) }
    }

    @Test func english() {
        #expect(tokens("Don't stop: the U.S. economy grew 3.5% in 2023, e.g. x86_64!") ==
            ["Don't", "stop", ":", "the", "U.S", ".", "economy", "grew", "3.5", "%", "in", "2023", ",", "e.g", ".", "x86_64", "!"])
        #expect(tokens("It cost $1,234.56 (net).") == ["It", "cost", "$", "1,234.56", "(", "net", ")", "."])
    }

    @Test func germanWithDiacritics() {
        #expect(tokens("Straße, Café und ÄPFEL – naïve") == ["Straße", ",", "Café", "und", "ÄPFEL", "–", "naïve"])
        #expect(CanonicalForm.canonical("ÄPFEL") == "apfel")
        #expect(CanonicalForm.canonical("naïve") == "naive")
        #expect(CanonicalForm.canonical("Straße") == "straße")
        #expect(CanonicalForm.canonical("ﬁle") == "file")
        #expect(CanonicalForm.canonical("ＡＢＣ") == "abc")
    }

    @Test func chineseAndJapaneseAreOneTokenPerCharacter() {
        #expect(tokens("我爱北京天安门。") == ["我", "爱", "北", "京", "天", "安", "门", "。"])
        #expect(tokens("カタカナとひらがな、漢字です。") == ["カ", "タ", "カ", "ナ", "と", "ひ", "ら", "が", "な", "、", "漢", "字", "で", "す", "。"])
    }

    @Test func mixedScriptsAndEmoji() {
        #expect(tokens("Tome🙂👍🏽 mixed 日本語text 👨‍👩‍👧") == ["Tome", "🙂", "👍🏽", "mixed", "日", "本", "語", "text", "👨‍👩‍👧"])
    }

    @Test func byteRangesAreUTF8Offsets() {
        var tokenizer = Tokenizer()
        let found = tokenizer.tokenize("é 日x")
        #expect(found.map(\.start) == [0, 3, 6])
        #expect(found.map(\.end) == [2, 6, 7])
    }

    @Test func goldenIDs() {
        // FNV-1a 64 of the canonical form; pinned so stored data stays valid across versions.
        #expect(CanonicalForm.id(of: "the") == 0x56F5_C919_4461_D57C)
        #expect(CanonicalForm.id(of: "The") == 0x56F5_C919_4461_D57C)
        #expect(CanonicalForm.id(of: "café") == 0xB538_7D90_E858_9028)
        #expect(CanonicalForm.id(of: "cafe") == 0xB538_7D90_E858_9028)
        #expect(CanonicalForm.id(of: "Straße") == 0x0360_9872_65B2_8B78)
        #expect(CanonicalForm.id(of: "ＡＢＣ") == 0xE71F_A219_0541_574B)
        #expect(CanonicalForm.id(of: "日本") == 0x121D_7E35_A6D3_CE91)
        // The ASCII fast path and the Foundation path agree.
        var tokenizer = Tokenizer()
        #expect(tokenizer.tokenize("The CAFE café").map(\.id) == [CanonicalForm.id(of: "the"), CanonicalForm.id(of: "cafe"), CanonicalForm.id(of: "cafe")])
    }
}

@Suite struct SentenceTests {
    func sentences(_ text: String) -> [String] {
        var tokenizer = Tokenizer()
        let tokens = tokenizer.tokenize(text)
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { buffer in
            SentenceSplitter.split(buffer, tokens: tokens).map { String(decoding: bytes[Int($0.start)..<Int($0.end)], as: UTF8.self) }
        }
    }

    @Test func abbreviationsInitialsAndDecimals() {
        #expect(sentences("Dr. Smith paid $3.50 for it. J. R. R. Tolkien wrote it, e.g. in 1937. Then he stopped.") ==
            ["Dr. Smith paid $3.50 for it.", "J. R. R. Tolkien wrote it, e.g. in 1937.", "Then he stopped."])
    }

    @Test func ellipsesQuestionsAndQuotes() {
        #expect(sentences("Wait... what happened? \"Nothing.\" She left... and came back.") ==
            ["Wait... what happened?", "\"Nothing.\"", "She left... and came back."])
    }

    @Test func cjkPunctuation() {
        #expect(sentences("今日は晴れです。明日は雨でしょう！本当？") == ["今日は晴れです。", "明日は雨でしょう！", "本当？"])
    }

    @Test func headingsAndListItemsWithoutFullStops() {
        #expect(sentences("Introduction\nThis paper describes a method.\n\nResults\n• first finding\n• second finding\n1. numbered item") ==
            ["Introduction", "This paper describes a method.", "Results", "• first finding", "• second finding", "1. numbered item"])
        // A wrapped line inside a paragraph is not a boundary.
        #expect(sentences("The quick brown fox jumps over\nthe lazy dog.") == ["The quick brown fox jumps over\nthe lazy dog."])
        // A numbered section heading ends its line even before a lower-case word; a number in a wrapped line does not.
        #expect(sentences("2.3. DESCRIPTION\nbzip2 compresses files.") == ["2.3. DESCRIPTION", "bzip2 compresses files."])
        let wrapped = "The ratio of a circle's length to its diameter is close to\n3.14 in the first\ncase and more later."
        #expect(sentences(wrapped) == [wrapped])
    }

    /// A full stop at a line end ends the sentence even before a lower-case
    /// identifier; inside a line it does not (the next word decides); a dot
    /// leader is not a run of sentences.
    @Test func lineEndsIdentifiersAndDotLeaders() {
        #expect(sentences("Format a figure and return\nan RGB image.\nfilename defines the name of the output file. x is a vector.") ==
            ["Format a figure and return\nan RGB image.", "filename defines the name of the output file. x is a vector."])
        #expect(sentences("DAMAGED FILES . . . . . . 12\nThe end.") == ["DAMAGED FILES . . . . . . 12", "The end."])
        // A dot file that a line wrap put at the start of a line is part of the sentence.
        #expect(sentences("Put them in a file\n.Rprofile in your home directory. Or in\n.git/info/exclude instead.") ==
            ["Put them in a file\n.Rprofile in your home directory.", "Or in\n.git/info/exclude instead."])
    }

    @Test func blocksHoldWholeSentencesUpToTheLimit() {
        let text = (1...10).map { "Sentence number \($0) has exactly eight tokens." }.joined(separator: " ")
        var tokenizer = Tokenizer()
        let tokens = tokenizer.tokenize(text)
        let units = Array(text.utf8).withUnsafeBufferPointer { SentenceSplitter.split($0, tokens: tokens) }
        #expect(units.count == 10)
        let blocks = BlockPacker.pack(units, blockTokens: 20)
        #expect(blocks.map(\.sentenceCount) == [2, 2, 2, 2, 2])
        let long = BlockPacker.limit([Sentence(start: 0, end: 10, firstToken: 0, tokenCount: 50)], tokens: Array(repeating: tokens[0], count: 50), tokenOffset: 0, blockTokens: 20)
        #expect(long.map(\.tokenCount) == [20, 20, 10])
        #expect(long.map(\.continuesSentence) == [false, true, true])
    }
}
