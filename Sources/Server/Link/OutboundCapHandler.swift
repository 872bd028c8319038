import Logging
import NIOCore

/// Bounds what a connection may owe its peer (docs/SECURITY.md: every queue bounded). Writers
/// that can wait (a TCP viewer's cursor) stop at the channel's high water mark; what is written
/// regardless (messages, chat, commands) may run past it. A peer that stops reading is cut off,
/// with a log line, once its queue passes `maxQueuedBytes` or it has not been writable for
/// `stallTimeout`; nobody else on the server waits for it.
final class OutboundCapHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    static let defaultMaxQueuedBytes = 4 << 20
    static let defaultStallTimeout: TimeAmount = .seconds(15)

    private let logger: Logger
    private let what: String
    private let maxQueuedBytes: Int
    private let stallTimeout: TimeAmount
    private var stall: Scheduled<Void>?
    private var cutOff = false

    init(
        logger: Logger, what: String, maxQueuedBytes: Int = OutboundCapHandler.defaultMaxQueuedBytes,
        stallTimeout: TimeAmount = OutboundCapHandler.defaultStallTimeout
    ) {
        self.logger = logger
        self.what = what
        self.maxQueuedBytes = maxQueuedBytes
        self.stallTimeout = stallTimeout
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        context.write(data, promise: promise)
        // Only a connection past its high water mark can be over the cap: the common path asks nothing.
        guard !context.channel.isWritable, !cutOff,
            let queued = try? context.channel.syncOptions?.getOption(.bufferedWritableBytes), queued > maxQueuedBytes
        else { return }
        cut(context: context, "\(queued) bytes queued, over the cap of \(maxQueuedBytes)")
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            stall?.cancel()
            stall = nil
        } else if stall == nil {
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            let timeout = stallTimeout
            stall = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [weak self] in
                self?.cut(context: bound.value, "not reading for \(timeout.nanoseconds / 1_000_000) ms")
            }
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        stall?.cancel()
        context.fireChannelInactive()
    }

    private func cut(context: ChannelHandlerContext, _ why: String) {
        guard !cutOff else { return }
        cutOff = true
        let peer = context.channel.remoteAddress.map { "\($0)" } ?? "?"
        logger.warning("\(what) with \(peer) cut off: \(why)")
        context.close(promise: nil)
    }
}
