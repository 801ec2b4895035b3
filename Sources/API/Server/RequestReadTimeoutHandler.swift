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
    /// When the connection is closed unless the client gets further; nil while nothing
    /// is expected from it.
    private var deadline: NIODeadline?
    /// One timer per connection, due at or before `deadline`. Moving the deadline on
    /// (every request moves it twice) only stores a time: the timer, once due, closes
    /// the connection or waits again for the deadline it finds. A timer per request cost
    /// two schedules and two cancels of an event-loop task per status poll.
    private var timer: (task: Scheduled<Void>, dueAt: NIODeadline)?

    init(headerTimeout: TimeAmount, bodyProgressTimeout: TimeAmount) {
        self.headerTimeout = headerTimeout
        self.bodyProgressTimeout = bodyProgressTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(context, in: headerTimeout) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stopTimer()
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(context, in: headerTimeout)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        stopTimer()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head, .body: arm(context, in: bodyProgressTimeout)
        case .end: deadline = nil
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { arm(context, in: headerTimeout) }
        context.write(data, promise: promise)
    }

    private func arm(_ context: ChannelHandlerContext, in timeout: TimeAmount) {
        let newDeadline = NIODeadline.now() + timeout
        deadline = newDeadline
        // A timer due later than the new deadline (a shorter timeout than the last one)
        // would close the connection late: start one for the new deadline instead.
        if let timer, timer.dueAt <= newDeadline { return }
        startTimer(context, dueAt: newDeadline)
    }

    private func startTimer(_ context: ChannelHandlerContext, dueAt: NIODeadline) {
        stopTimer()
        let task = context.eventLoop.assumeIsolated().scheduleTask(deadline: dueAt) { [weak self] () -> Void in
            self?.timerFired(context)
        }
        timer = (task, dueAt)
    }

    private func timerFired(_ context: ChannelHandlerContext) {
        timer = nil
        guard let deadline else { return }
        if deadline <= .now() {
            self.deadline = nil
            context.close(promise: nil)
        } else {
            startTimer(context, dueAt: deadline)
        }
    }

    private func stopTimer() {
        timer?.task.cancel()
        timer = nil
    }
}
