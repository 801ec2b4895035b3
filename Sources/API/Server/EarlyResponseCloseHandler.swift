import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Closes a connection whose response went out before its request body had all
/// arrived: a refused upload (413 at the limit, 401, 415) is answered at once, and
/// the rest of its body is not read. Without this, Hummingbird reads and discards
/// the rest of the body to keep the connection, however large the client says it is.
///
/// The response carries `Connection: close`; then the output side closes, so the
/// client reads the answer and stops sending, and the connection is closed for good
/// after `lingerTime` in case it does not (closing at once would reset the connection
/// and could destroy the answer before the client reads it).
final class EarlyResponseCloseHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let lingerTime: TimeAmount
    private var requestBodyPending = false
    private var closeAfterResponse = false

    init(lingerTime: TimeAmount = .seconds(2)) {
        self.lingerTime = lingerTime
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: requestBodyPending = true
        case .body: break
        case .end: requestBodyPending = false
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head) where requestBodyPending && head.status.kind != .informational:
            closeAfterResponse = true
            head.headerFields[.connection] = "close"
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .end where closeAfterResponse:
            closeAfterResponse = false
            let written = context.writeAndFlush(data)
            written.cascade(to: promise)
            let lingerTime = lingerTime
            written.assumeIsolated().whenComplete { _ in
                context.close(mode: .output, promise: nil)
                context.eventLoop.assumeIsolated().scheduleTask(in: lingerTime) { context.close(promise: nil) }
            }
        default:
            context.write(data, promise: promise)
        }
    }
}
