import Foundation
import GRDB

/// Tome's schema, as named, append-only migrations: never edit one that has
/// shipped; add the next. Each migration's SQL is written here, literally,
/// and calls no code that may change later: a migration does to a database
/// today what it did the day it shipped. Data that live code derives (a
/// document's searchable sentences from its stored index) is filled in at
/// start instead (`Store.indexUnsearchedDocuments`).
enum Migrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: documents, text, pages, outline, jobs") { db in
            // One row per distinct content (SHA-256 of the file's bytes).
            try db.execute(sql: """
                CREATE TABLE documents (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    sha256 TEXT NOT NULL UNIQUE,
                    name TEXT NOT NULL,
                    pipeline TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('queued', 'processing', 'done', 'failed')),
                    bytes INTEGER NOT NULL,
                    type TEXT,
                    pages INTEGER,
                    tokens INTEGER,
                    error_code TEXT,
                    error_message TEXT,
                    title TEXT, author TEXT, subject TEXT, keywords TEXT,
                    creator TEXT, producer TEXT, doc_created TEXT, doc_modified TEXT,
                    created_at REAL NOT NULL,
                    updated_at REAL NOT NULL,
                    finished_at REAL
                );
                CREATE INDEX documents_status ON documents(status);

                CREATE TABLE document_text (
                    document_id INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
                    text TEXT NOT NULL
                );

                -- UTF-8 byte ranges of each page in document_text.text.
                CREATE TABLE pages (
                    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
                    number INTEGER NOT NULL,
                    start INTEGER NOT NULL,
                    "end" INTEGER NOT NULL,
                    PRIMARY KEY (document_id, number)
                ) WITHOUT ROWID;

                CREATE TABLE outline (
                    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
                    position INTEGER NOT NULL,
                    title TEXT NOT NULL,
                    level INTEGER NOT NULL,
                    page INTEGER,
                    "offset" INTEGER,
                    PRIMARY KEY (document_id, position)
                ) WITHOUT ROWID;

                -- One row per file taken from the spool (or the API). A duplicate
                -- ends 'done' at once with duplicate_of. source_disposed says the
                -- file was archived, moved to failed/ or deleted, as configured;
                -- disposed_path is where it went (NULL when deleted).
                CREATE TABLE jobs (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    document_id INTEGER REFERENCES documents(id) ON DELETE CASCADE,
                    source_path TEXT NOT NULL,
                    sha256 TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('queued', 'processing', 'done', 'failed')),
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at REAL NOT NULL,
                    duplicate_of INTEGER,
                    error_code TEXT,
                    error_message TEXT,
                    source_disposed INTEGER NOT NULL DEFAULT 0,
                    disposed_path TEXT,
                    created_at REAL NOT NULL,
                    started_at REAL,
                    finished_at REAL
                );
                CREATE INDEX jobs_runnable ON jobs(status, next_attempt_at);
                CREATE INDEX jobs_source ON jobs(source_path);
                CREATE INDEX jobs_document ON jobs(document_id);
                """)
        }
        migrator.registerMigration("v2: engine index and corpus memory generation") { db in
            // One row per analysed document: its units, blocks and indexer keys as
            // compact little-endian arrays, cheap to read in order for a corpus scan.
            try db.execute(sql: """
                CREATE TABLE document_index (
                    document_id INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
                    parameters TEXT NOT NULL,
                    token_count INTEGER NOT NULL,
                    unit_starts BLOB NOT NULL,
                    unit_ends BLOB NOT NULL,
                    block_first_unit BLOB NOT NULL,
                    key_values BLOB NOT NULL,
                    key_scales BLOB NOT NULL
                );

                -- The corpus memory file (engram.mem) is derived data: it matches the
                -- store when its header carries this generation, bumped by every
                -- commit or delete that changes which documents it should count.
                CREATE TABLE engram_state (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    generation INTEGER NOT NULL
                );
                INSERT INTO engram_state (id, generation) VALUES (1, 0);
                """)
        }
        migrator.registerMigration("v3: analysis archives (block signatures, unit kinds, each document's Engram counts)") { db in
            // Indexes of format 1 (hashed int8 keys) are dropped: their documents
            // are analysed again (the daemon re-queues those whose file it kept).
            // Each document's Engram counts are now stored with its index, and the
            // generation bump makes the corpus memory rebuild from them.
            try db.execute(sql: """
                DROP TABLE document_index;
                CREATE TABLE document_analysis (
                    document_id INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
                    format INTEGER NOT NULL,
                    text_bytes INTEGER NOT NULL,
                    index_archive BLOB NOT NULL,
                    engram BLOB NOT NULL
                );
                UPDATE engram_state SET generation = generation + 1;
                """)
        }
        migrator.registerMigration("v4: a job's crashes while the daemon itself worked on it") { db in
            // `storing` is 1 while the daemon (not the extraction child) works on
            // the job's result; `crashes` counts the stops that found it so. Only
            // those count against a document after a crash: a kill while the
            // child parses is not the document's fault and gives the attempt back.
            try db.execute(sql: """
                ALTER TABLE jobs ADD COLUMN storing INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE jobs ADD COLUMN crashes INTEGER NOT NULL DEFAULT 0;
                """)
        }
        migrator.registerMigration("v5: keyword search over sentences (FTS5)") { db in
            // Rowid: document id << 24 | unit (SentenceSearch.unitBits). Documents stored before get
            // their sentences at start (Store.indexUnsearchedDocuments), from their stored index.
            try db.execute(sql: """
                CREATE VIRTUAL TABLE sentence_search USING fts5(
                    text, page UNINDEXED, start UNINDEXED, "end" UNINDEXED,
                    tokenize = 'unicode61 remove_diacritics 2'
                )
                """)
        }
        migrator.registerMigration("v6: answers to each pipeline's questions") { db in
            // `answered`: the digest of the questions the stored answers answer (NULL: none yet).
            try db.execute(sql: """
                ALTER TABLE documents ADD COLUMN answered TEXT;
                CREATE TABLE answers (
                    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
                    position INTEGER NOT NULL,
                    question TEXT NOT NULL,
                    text TEXT, context TEXT, page INTEGER, start INTEGER, "end" INTEGER, score REAL,
                    PRIMARY KEY (document_id, position)
                );
                """)
        }
        migrator.registerMigration("v7: summaries of each document and of its sections") { db in
            // Section -1 is the document's summary. Documents stored before are summarised when they
            // are analysed again (the daemon re-queues them: summarised = 0).
            try db.execute(sql: """
                ALTER TABLE documents ADD COLUMN summarised INTEGER NOT NULL DEFAULT 0;
                CREATE TABLE summaries (
                    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
                    section INTEGER NOT NULL,
                    heading_start INTEGER, heading_end INTEGER,
                    position INTEGER NOT NULL,
                    start INTEGER NOT NULL, "end" INTEGER NOT NULL,
                    PRIMARY KEY (document_id, section, position)
                );
                """)
        }
        migrator.registerMigration("v8: what the extraction experts found in each document") { db in
            // Documents stored before get theirs when they are analysed again (the daemon re-queues them: extracted = 0).
            try db.execute(sql: """
                ALTER TABLE documents ADD COLUMN extracted INTEGER NOT NULL DEFAULT 0;
                CREATE TABLE extractions (
                    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
                    kind TEXT NOT NULL,
                    position INTEGER NOT NULL,
                    text TEXT NOT NULL,
                    value TEXT NOT NULL,
                    page INTEGER,
                    start INTEGER NOT NULL, "end" INTEGER NOT NULL,
                    number REAL, currency TEXT, detail TEXT,
                    count INTEGER NOT NULL DEFAULT 1,
                    PRIMARY KEY (document_id, kind, position)
                );
                CREATE INDEX extractions_by_number ON extractions (kind, number);
                CREATE INDEX extractions_by_value ON extractions (kind, value);
                """)
        }
        migrator.registerMigration("v9: whether Tome owns a job's kept file") { db in
            // 1: Tome moved it into a folder of its own (archive, failed); 0: it was left in the spool,
            // the user's; NULL: kept before v9 (the folders configured at deletion decide, as before).
            try db.execute(sql: "ALTER TABLE jobs ADD COLUMN disposed_owned INTEGER")
        }
        migrator.registerMigration("v10: how pages read by OCR were read") { db in
            // One row per page read by OCR (a page not listed was read from its text layer): its mean
            // confidence (0-100), whether it is flagged as not to be trusted, the quarter turns that
            // stood it upright, the resolution read, and its words: little-endian Int32, six a word
            // (UTF-8 start and end in the document's text, then left, top, right, bottom in pixels).
            try db.execute(sql: """
                CREATE TABLE page_readings (
                    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
                    page INTEGER NOT NULL,
                    confidence INTEGER NOT NULL,
                    flagged INTEGER NOT NULL,
                    rotation INTEGER NOT NULL,
                    dpi INTEGER NOT NULL,
                    words BLOB NOT NULL,
                    PRIMARY KEY (document_id, page)
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v11: an amount's role on its invoice") { db in
            // total, subtotal, tax or deduction (AmountRole); NULL for other kinds and for amounts stored before v11.
            try db.execute(sql: "ALTER TABLE extractions ADD COLUMN role TEXT")
        }
        migrator.registerMigration("v12: Chinese and Japanese words found wherever they stand") { db in
            // Sentences are now stored with a zero-width space (U+200B) after each ideograph and kana
            // (SentenceSearch), so that unicode61 makes each its own token. The sentences of documents
            // holding any are removed here and written again at start (Store.indexUnsearchedDocuments).
            try db.execute(sql: """
                DELETE FROM sentence_search WHERE (rowid >> 24) IN (
                    SELECT DISTINCT rowid >> 24 FROM sentence_search WHERE text GLOB '*[぀-ヿ㐀-䶿一-鿿豈-﫿]*'
                );
                """)
        }
        migrator.registerMigration("v13: whether a pipeline answer is sure, and the definition it uses") { db in
            // sure: 1 when the answer holds the question's rarest word, enough of the rest and the kind asked for;
            // NULL for answers stored before v13. definition_*: the sentence that defines a term the answer names
            // its date by ("the Effective Date"), when there is one.
            try db.execute(sql: """
                ALTER TABLE answers ADD COLUMN sure INTEGER;
                ALTER TABLE answers ADD COLUMN definition_term TEXT;
                ALTER TABLE answers ADD COLUMN definition_text TEXT;
                ALTER TABLE answers ADD COLUMN definition_page INTEGER;
                ALTER TABLE answers ADD COLUMN definition_start INTEGER;
                ALTER TABLE answers ADD COLUMN definition_end INTEGER;
                """)
        }
        migrator.registerMigration("v14: a language model's written summary and answers, a stage of their own") { db in
            // One row per document and kind (summary, answers) its pipeline asks a model to write: pending
            // until written (attempts and next_try: the backoff while the model is away), done with the
            // model's name, the time and the result as JSON, or failed with why (a key refused, a reply
            // outside the protocol). Removed with the document, and when its content is stored again.
            // generation: set anew (a microsecond clock) each time the row is queued, so that a try
            // that began before a reprocess or new content cannot store its stale result.
            try db.execute(sql: """
                CREATE TABLE written (
                    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
                    kind TEXT NOT NULL,
                    state TEXT NOT NULL,
                    generation INTEGER NOT NULL DEFAULT 0,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_try REAL NOT NULL DEFAULT 0,
                    error TEXT,
                    model TEXT,
                    written_at TEXT,
                    body TEXT,
                    PRIMARY KEY (document_id, kind)
                );
                CREATE INDEX written_due ON written (state, next_try);
                """)
        }
        return migrator
    }
}
