import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import TomeAPI

/// Answers a request the HTTP parser rejects before its head is whole (a
/// bad request line, a malformed header) with the API's JSON error, 400
/// `bad_request`, and closes the connection — where the server would
/// otherwise send an empty 400. A parse error inside a request's body (a bad
/// chunk size, a body shorter than its `Content-Length`) reaches the
/// handler that reads the body, and `ErrorMiddleware` answers it.
final class MalformedRequestResponder: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// No request is in flight: the next part must be a head.
    private var betweenRequests = true

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) { betweenRequests = false }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { betweenRequests = true }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parse = error as? HTTPParserError, betweenRequests else {
            context.fireErrorCaught(error)
            return
        }
        betweenRequests = false
        let body = Self.body(for: parse)
        var head = HTTPResponse(status: .badRequest)
        head.headerFields[.contentType] = "application/json"
        head.headerFields[.contentLength] = String(body.readableBytes)
        head.headerFields[.connection] = "close"
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }

    /// The JSON error for a request the parser refused.
    static func body(for error: HTTPParserError) -> ByteBuffer {
        let response = ErrorResponse(code: "bad_request", message: "malformed HTTP request: \(error)", retryable: false)
        var data = (try? JSONBody.encoder().encode(response)) ?? Data(#"{"error":{"code":"bad_request","message":"malformed HTTP request","retryable":false}}"#.utf8)
        data.append(0x0A)
        return ByteBuffer(bytes: data)
    }
}
