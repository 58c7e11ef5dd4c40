import Glibc
import NIOCore
import NIOHTTPTypes
import Synchronization

/// Connections per peer user, shared by every connection's guard.
final class PeerConnections: Sendable {
    private let counts = Mutex<[UInt32: Int]>([:])

    /// Counts a new connection of `uid`; false (and not counted) past `limit`.
    func open(_ uid: UInt32, limit: Int) -> Bool {
        counts.withLock { counts in
            guard counts[uid, default: 0] < limit else { return false }
            counts[uid, default: 0] += 1
            return true
        }
    }

    func close(_ uid: UInt32) {
        counts.withLock { counts in
            counts[uid, default: 1] -= 1
            if counts[uid] == 0 { counts[uid] = nil }
        }
    }
}

/// Two bounds on each connection of the control socket, so that no client
/// can hold the API for others:
/// - a peer user (SO_PEERCRED) has at most `perPeer` connections open;
///   root and the daemon's own user are exempt (the watchdog's probe is one);
/// - a client has `headerTimeout` after connecting, and after each answer,
///   to send a whole request head, else the connection is closed (a client
///   that trickles its headers, "slowloris", would otherwise hold it until
///   the idle timeout, which a trickle keeps resetting).
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let peers: PeerConnections
    private let perPeer: Int
    private let headerTimeout: TimeAmount
    private let exempt: Set<UInt32>
    private var counted: UInt32?
    private var deadline: Scheduled<Void>?

    init(peers: PeerConnections, perPeer: Int, headerTimeout: TimeAmount, exempt: Set<UInt32>) {
        self.peers = peers
        self.perPeer = perPeer
        self.headerTimeout = headerTimeout
        self.exempt = exempt
    }

    func handlerAdded(context: ChannelHandlerContext) {
        awaitHead(context)
        guard let provider = context.channel as? any SocketOptionProvider else { return }
        let peerFuture: EventLoopFuture<PeerCredentials> = provider.unsafeGetSocketOption(
            level: NIOBSDSocket.OptionLevel(rawValue: SOL_SOCKET), name: NIOBSDSocket.Option(rawValue: SO_PEERCRED))
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        peerFuture.whenSuccess { peer in
            let (handler, context) = loopBound.value
            guard !handler.exempt.contains(peer.uid) else { return }
            if handler.peers.open(peer.uid, limit: handler.perPeer) {
                handler.counted = peer.uid
            } else {
                context.close(promise: nil)
            }
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        if let uid = counted { peers.close(uid) }
        counted = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) {
            deadline?.cancel()
            deadline = nil
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { awaitHead(context) }
        context.write(data, promise: promise)
    }

    /// Closes the connection unless a request head arrives in time.
    private func awaitHead(_ context: ChannelHandlerContext) {
        deadline?.cancel()
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: headerTimeout) { channel.close(promise: nil) }
    }
}
