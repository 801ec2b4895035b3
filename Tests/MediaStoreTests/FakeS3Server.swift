import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A scripted S3 on 127.0.0.1 for the failures a real one shows rarely: each request takes
/// the next reply of the script (the last one repeats), and every request is recorded, so
/// a test counts attempts. Raw NIO rather than Hummingbird, to cut a body mid-way.
final class FakeS3Server: Sendable {
    enum Reply: Sendable {
        /// A complete answer.
        case answer(status: Int, headers: [(String, String)] = [], body: [UInt8] = [])
        /// The answer after holding the request this long.
        case late(seconds: Double, status: Int)
        /// A 200 announcing `announcedBytes`, of which only `body` is sent before the
        /// connection closes.
        case cutShort(announcedBytes: Int, body: [UInt8])
    }

    struct Seen: Sendable {
        var method: String
        var uri: String
        var headers: [String: String]
        var bodyBytes: Int
    }

    /// The replies still to give and the requests seen, shared with every connection.
    private final class Script: Sendable {
        let replies: Mutex<[Reply]>
        let seen = Mutex<[Seen]>([])

        init(_ replies: [Reply]) {
            self.replies = Mutex(replies)
        }

        func reply(to request: Seen) -> Reply {
            seen.withLock { $0.append(request) }
            return replies.withLock { $0.count > 1 ? $0.removeFirst() : $0[0] }
        }
    }

    private let script: Script
    private let channel: any Channel
    let port: Int

    /// S3's XML error body with `code`.
    static func errorBody(_ code: String) -> [UInt8] {
        Array("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>\(code)</Code><Message>fake \(code)</Message></Error>".utf8)
    }

    init(replies: [Reply]) async throws {
        precondition(!replies.isEmpty)
        let script = Script(replies)
        self.script = script
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.configureHTTPServerPipeline()
                    try child.pipeline.syncOperations.addHandler(
                        Handler(next: { script.reply(to: $0) }))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        port = channel.localAddress!.port!
    }

    /// Every request received so far, in order.
    var seen: [Seen] { script.seen.withLock { $0 } }

    var endpoint: String { "http://127.0.0.1:\(port)" }

    func stop() async {
        try? await channel.close()
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let next: @Sendable (Seen) -> Reply
        private var current: Seen?

        init(next: @escaping @Sendable (Seen) -> Reply) {
            self.next = next
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                var headers: [String: String] = [:]
                for (name, value) in head.headers { headers[name.lowercased()] = value }
                current = Seen(method: head.method.rawValue, uri: head.uri, headers: headers, bodyBytes: 0)
            case .body(let body):
                current?.bodyBytes += body.readableBytes
            case .end:
                guard let request = current else { return }
                current = nil
                reply(next(request), context: context, isHead: request.method == "HEAD")
            }
        }

        private func reply(_ reply: Reply, context: ChannelHandlerContext, isHead: Bool) {
            switch reply {
            case .answer(let status, let headers, let body):
                var fields = HTTPHeaders(headers)
                if !fields.contains(name: "content-length") { fields.add(name: "content-length", value: String(body.count)) }
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .init(statusCode: status), headers: fields))), promise: nil)
                if !isHead && !body.isEmpty {
                    context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
                }
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            case .late(let seconds, let status):
                let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                context.eventLoop.scheduleTask(in: .milliseconds(Int64(seconds * 1000))) {
                    let (handler, context) = bound.value
                    handler.reply(.answer(status: status), context: context, isHead: isHead)
                }
            case .cutShort(let announcedBytes, let body):
                let headers = HTTPHeaders([("content-length", String(announcedBytes))])
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
                context.close(promise: nil)
            }
        }
    }
}
