import Hummingbird
import NIOCore

/// The request context of the control API: Hummingbird's core storage plus
/// the connection's channel, and who the peer is once `AccessMiddleware`
/// has read it.
struct TomeRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel
    /// The peer's user, and what it may do (`AccessPolicy`).
    var peerUID: UInt32?
    var access: AccessPolicy.Level = .none

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

/// Reads the peer's credentials and groups, refuses a peer that may do
/// nothing, and hands the others on with their access level; each endpoint
/// then says whether it needs more (`Endpoint.access`).
struct AccessMiddleware: RouterMiddleware {
    let settings: SettingsBox
    let peer: @Sendable (any Channel) async throws -> PeerCredentials?

    func handle(_ request: Request, context: TomeRequestContext, next: (Request, TomeRequestContext) async throws -> Response) async throws -> Response {
        guard let peer = try await peer(context.channel) else {
            throw APIError.forbidden("cannot identify the peer of this connection")
        }
        let level = settings.access.level(uid: peer.uid, groups: Accounts.groups(ofUID: peer.uid, primary: peer.gid))
        guard level > .none else {
            throw APIError.forbidden("uid \(peer.uid) is not allowed here (not in read_groups or write_groups)")
        }
        var context = context
        (context.peerUID, context.access) = (peer.uid, level)
        return try await next(request, context)
    }
}
