import Foundation
import GRDB
import TomeAPI

/// The life of a document and of a job: queued -> processing -> done | failed
/// (the API's `DocumentStatus`, stored by its name).
public typealias JobStatus = DocumentStatus

extension DocumentStatus: DatabaseValueConvertible {}

/// A row of `documents`: one distinct content and what is known of it.
public struct DocumentRecord: Sendable, Equatable, Codable, FetchableRecord, TableRecord {
    public static let databaseTableName = "documents"

    public var id: Int64
    public var sha256: String
    public var name: String
    public var pipeline: String
    public var status: JobStatus
    public var bytes: Int64
    public var type: String?
    public var pages: Int?
    public var tokens: Int?
    public var errorCode: String?
    public var errorMessage: String?
    public var title: String?
    public var author: String?
    public var subject: String?
    public var keywords: String?
    public var creator: String?
    public var producer: String?
    public var docCreated: String?
    public var docModified: String?
    public var createdAt: Date
    public var updatedAt: Date
    public var finishedAt: Date?

    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
}

/// A row of `jobs`: one file to process (or a duplicate, done at once).
public struct JobRecord: Sendable, Equatable, Codable, FetchableRecord, TableRecord {
    public static let databaseTableName = "jobs"

    public var id: Int64
    public var documentId: Int64?
    public var sourcePath: String
    public var sha256: String
    public var status: JobStatus
    public var attempts: Int
    public var nextAttemptAt: Date
    public var duplicateOf: Int64?
    public var errorCode: String?
    public var errorMessage: String?
    /// The daemon itself works on the result (the child is done).
    public var storing: Bool
    /// Stops that found the daemon storing this job's result.
    public var crashes: Int
    public var sourceDisposed: Bool
    public var disposedPath: String?
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?

    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
}

/// What became of a file handed to `Store.enqueue`.
public enum Enqueued: Sendable, Equatable {
    /// A new document, queued (or a failed one, queued again).
    case queued(documentID: Int64, jobID: Int64)
    /// The content is already document `of`; the job is done at once.
    case duplicate(of: Int64, jobID: Int64)
}
