import Foundation
import Hummingbird
import NIOCore
import TomeAPI
import TomeEngine
import TomeStore

/// `/v1/events`: the queue's events as they happen, one JSON object a line.
struct EventsAPI: Sendable {
    let events: EventHub
    let settings: SettingsBox

    var endpoints: [Endpoint] {
        [Endpoint(.get, "/v1/events", access: .read) { _, context in try await eventStream(context) }]
    }

    func eventStream(_ context: TomeRequestContext) async throws -> Response {
        let config = settings.current
        guard let stream = events.subscribe(peer: context.peerUID ?? 0, limit: config.maxEventStreams, perPeer: config.maxEventStreamsPerPeer) else {
            throw APIError(status: .serviceUnavailable, code: .tooManyStreams,
                           message: "\(config.maxEventStreams) event streams are open in all, or \(config.maxEventStreamsPerPeer) for this user; try again later",
                           retryable: true)
        }
        return Response(
            status: .ok,
            headers: [.contentType: "application/x-ndjson", .cacheControl: "no-cache"],
            body: ResponseBody { writer in
                let encoder = JSONBody.encoder()
                for await event in stream {
                    var line = try encoder.encode(event)
                    line.append(0x0A)
                    try await writer.write(ByteBuffer(bytes: line))
                }
                try await writer.finish(nil)
            }
        )
    }
}
