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
        Self.answer(context, status: .badRequest, code: .badRequest, message: "malformed HTTP request: \(parse)", retryable: false)
    }

    /// Writes the API's JSON error as a whole response, then closes the connection.
    static func answer(_ context: ChannelHandlerContext, status: HTTPResponse.Status, code: ErrorCode, message: String, retryable: Bool) {
        let response = ErrorResponse(code: code, message: message, retryable: retryable)
        var data = (try? JSONBody.encoder().encode(response)) ?? Data(#"{"error":{"code":"\#(code.rawValue)","message":"","retryable":false}}"#.utf8)
        data.append(0x0A)
        let body = ByteBuffer(bytes: data)
        var head = HTTPResponse(status: status)
        head.headerFields[.contentType] = "application/json"
        head.headerFields[.contentLength] = String(body.readableBytes)
        head.headerFields[.connection] = "close"
        context.write(NIOAny(HTTPResponsePart.head(head)), promise: nil)
        context.write(NIOAny(HTTPResponsePart.body(body)), promise: nil)
        let channel = context.channel
        context.writeAndFlush(NIOAny(HTTPResponsePart.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
}
