import Foundation
import GRDB
import TomeEngine
import TomeExtract

/// Tome's SQLite database: documents, their text, pages and outline, and the
/// jobs that produce them. WAL mode through GRDB's `DatabasePool`, so readers
/// (the control API) never wait for the writer (the workers).
///
/// Every method is one transaction: a document's results land whole or not
/// at all, and a job's state never disagrees with its document's. The
/// methods are grouped by what they serve: jobs (`Store+Jobs`), documents
/// (`Store+Documents`), analyses (`Store+Analyses`).
public final class Store: Sendable {
    public let pool: DatabasePool

    /// Opens (creating if needed) the database at `path`, runs the
    /// migrations, and fills in what live code derives and the migrations
    /// leave (`indexUnsearchedDocuments`).
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
        pool = try DatabasePool(path: path, configuration: configuration)
        try Migrations.migrator.migrate(pool)
        try indexUnsearchedDocuments()
    }
}

/// Store refusals that are not database failures.
public enum StoreError: Error, Equatable {
    /// The document is held by a worker (or queued for one); try again later.
    case busy(Int64)
    /// There is no job with this id.
    case noSuchJob(Int64)
}
