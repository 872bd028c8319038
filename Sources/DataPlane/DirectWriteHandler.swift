import CDatagram
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// The head of a TCP session's pipeline: lets the unit write a batch's shared chunk straight to
/// the socket (one send(2): no pipeline, no promise, no flush) whenever nothing written through
/// NIO is still on its way there, and hands NIO what the kernel does not take, so the bytes stay
/// in order and a slow reader still fills NIO's buffer and turns unwritable as before. Holds its
/// own descriptor of the socket (closed when the pipeline goes), never a borrowed one.
package final class DirectWriteHandler: ChannelOutboundHandler, RemovableChannelHandler {
    package typealias OutboundIn = ByteBuffer
    package typealias OutboundOut = ByteBuffer

    private var descriptor: CInt
    private var context: ChannelHandlerContext?
    /// Writes handed to NIO and not yet taken by the kernel.
    private var queued = 0
    /// Chunks that went straight to the kernel, and those (or their rest) that went through NIO.
    package private(set) var directWrites = 0
    package private(set) var queuedWrites = 0

    /// Nothing of this connection waits in NIO (so NIO's channel is writable), and the socket is
    /// still this handler's to write.
    package var holdsNothing: Bool { queued == 0 && descriptor >= 0 && context != nil }

    /// `descriptor`: a duplicate of the connection's socket, owned from now on.
    package init(descriptor: CInt) {
        self.descriptor = descriptor
    }

    package func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    package func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        closeDescriptor()
    }

    deinit { closeDescriptor() }

    private func closeDescriptor() {
        guard descriptor >= 0 else { return }
        _ = Glibc.close(descriptor)
        descriptor = -1
    }

    /// Every write through the pipeline (session messages, a catching-up cursor's chunks) is
    /// counted until the kernel has it.
    package func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        enqueue(data, promise: promise, context: context)
    }

    private func enqueue(_ data: NIOAny, promise: EventLoopPromise<Void>?, context: ChannelHandlerContext) {
        queued += 1
        let done = promise ?? context.eventLoop.makePromise()
        done.futureResult.assumeIsolated().whenComplete { _ in self.queued -= 1 }
        context.write(data, promise: done)
    }

    /// Writes `chunk` now: straight to the socket when nothing is queued in NIO, else (and the
    /// rest the kernel did not take, or all of it when the socket refused) through NIO, which
    /// then learns of any error itself. Returns whether the channel needs a flush.
    package func write(_ chunk: ByteBuffer) -> Bool {
        guard descriptor >= 0, context != nil else { return false }
        // The common case touches nothing but the socket (no retain of the context or buffer).
        var written = 0
        if queued == 0 {
            written = chunk.withUnsafeReadableBytes { avc_stream_write(descriptor, $0.baseAddress, $0.count) }
            if written == chunk.readableBytes {
                directWrites += 1
                return false
            }
        }
        guard let context else { return false }
        var rest = chunk
        if written > 0 { rest.moveReaderIndex(forwardBy: written) }
        queuedWrites += 1
        enqueue(wrapOutboundOut(rest), promise: nil, context: context)
        return true
    }
}
