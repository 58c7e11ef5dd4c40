/// Function words of English, German, French and Spanish: they bound key
/// phrases and are never a name's first word. As canonical ids
/// (`CanonicalForm`: lower case, accents folded).
enum StopWords {
    static let all: Set<UInt64> = ExpertWords.ids(words)
    /// Their term keys (stems), as the index keys words.
    static let stems: Set<UInt64> = Set(words.map(Asker.stem))

    /// Words that say nothing of what is asked — articles, pronouns, forms of
    /// "be" and "have", conjunctions, the commonest prepositions — in the four
    /// languages; not "new", "first", "use", "before" or "without", which a
    /// question about a manual means, nor a word that is also a noun in one
    /// of them ("war", "man", "son", "avoir", "été", "par").
    static let grammatical: Set<UInt64> = ExpertWords.ids("""
        a an the and or but nor if of to in on at by for from with as is are was were be been being am do does did have has had
        it its this that these those he she they we you i me my our your their them his her him us there here then than so such
        der die das den dem des ein eine einer eines einem einen und oder aber ist sind wird werden wurde mit von zu zum zur
        auf aus bei für im an am als auch es er sie wir ihr ich du sich dass
        le la les un une des du de et ou mais est sont être ont dans sur pour avec au aux ce cette ces il elle
        ils elles nous vous on qui que se sa ses leur leurs
        el los las uno unos una unas y o pero es son fue ser estar está están en con por para del al lo su sus que
        """.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))

    static let words: [String] = """
        a about above after again against all also although am among an and another any anybody anyone anything are around as at
        be because been before being below between both but by can cannot could did do does doing done down during each either else
        enough etc even ever every few for from further had has have having he her here hers herself him himself his how however i
        if in into is it its itself just least less let like likely many may me might more most much must my myself neither no nor
        not now of off often on once one only onto or other others otherwise our ours ourselves out over own per perhaps please
        quite rather really same see seen several shall she should since so some something such than that the their theirs them
        themselves then there therefore these they this those though through thus to together too toward towards under unless until
        up upon us use used using very via was we well were what whatever when whenever where whereas whether which while who whom
        whose why will with within without would yet you your yours yourself yourselves e.g i.e vs
        also first second third new may must can will shall within herein hereby thereof thereto hereunder
        der die das den dem des ein eine einer eines einem einen und oder aber nicht ist sind war wird werden wurde kann können muss
        mit von zu zum zur auf aus bei für in im an am als auch nach über unter durch gegen ohne um wie wenn dass es er sie wir ihr
        ich du man sich so nur noch schon bereits sowie bzw dieser diese dieses jeder jede jedes alle wird haben hat hatte
        mein meine meinen meiner meines meinem ihre ihrer ihren ihrem ihres unser unsere unserer unseren unserem sollte sollten bitte
        le la les un une des du de et ou mais ne pas est sont été être avoir a ont dans sur sous pour par avec sans au aux ce cette
        ces il elle ils elles nous vous on qui que quoi dont où se sa son ses leur leurs plus moins très tout tous toute toutes
        el los las uno unos una unas y o pero no es son fue ser estar está están en con sin por para del al lo su sus que quien
        como cuando donde este esta estos estas ese esa muy más menos todo todos
        """.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
}
