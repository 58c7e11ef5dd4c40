import Logging
import TomeAPI

/// Keeps every log event on one line: control characters in its message and
/// metadata values are written as escapes (`OneLine`).
public struct OneLineLogHandler: LogHandler {
    private var inner: any LogHandler

    public init(_ inner: any LogHandler) {
        self.inner = inner
    }

    public func log(event: LogEvent) {
        var event = event
        event.message = Logger.Message(stringLiteral: OneLine.escaped(event.message.description))
        event.metadata = event.metadata?.mapValues(Self.escape)
        inner.log(event: event)
    }

    static func escape(_ value: Logger.MetadataValue) -> Logger.MetadataValue {
        switch value {
        case .string(let text): .string(OneLine.escaped(text))
        case .stringConvertible(let convertible): .string(OneLine.escaped(convertible.description))
        case .dictionary(let values): .dictionary(values.mapValues(escape))
        case .array(let values): .array(values.map(escape))
        }
    }

    public var metadataProvider: Logger.MetadataProvider? {
        get { inner.metadataProvider }
        set { inner.metadataProvider = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }

    public var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }

    public var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }
}
