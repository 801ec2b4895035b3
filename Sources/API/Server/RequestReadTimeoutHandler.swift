import NIOCore
import NIOHTTPTypes

/// Closes a connection whose client stops sending in the middle of a request, so a
/// client cannot hold a connection, a descriptor and an upload folder forever:
///
/// - no whole request head within `headerTimeout` of the connection opening or of the
///   previous response's end (a slow or silent client, and idle kept-alive connections);
/// - no body bytes for `bodyProgressTimeout` while the request's body is still due.
///
/// While a request has been read and its response is on its way (a long dub status
/// stream included), nothing is expected from the client and no timer runs. An upload
/// cut off this way fails its body read, and the upload route removes what it stored.
final class RequestReadTimeoutHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let headerTimeout: TimeAmount
    private let bodyProgressTimeout: TimeAmount
    private var deadline: Scheduled<Void>?

    init(headerTimeout: TimeAmount, bodyProgressTimeout: TimeAmount) {
        self.headerTimeout = headerTimeout
        self.bodyProgressTimeout = bodyProgressTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(context, in: headerTimeout) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        disarm()
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(context, in: headerTimeout)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        disarm()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head, .body: arm(context, in: bodyProgressTimeout)
        case .end: disarm()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { arm(context, in: headerTimeout) }
        context.write(data, promise: promise)
    }

    private func arm(_ context: ChannelHandlerContext, in timeout: TimeAmount) {
        disarm()
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [weak self] in
            self?.deadline = nil
            context.close(promise: nil)
        }
    }

    private func disarm() {
        deadline?.cancel()
        deadline = nil
    }
}
