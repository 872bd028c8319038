import DataPlane
import NIOCore
import Wire

/// Bytes for a session that lives on another of the unit's loops, handed over with the batch.
struct SessionWrite: Sendable {
    let connection: Channel
    let writer: NIOLoopBound<DirectWriteHandler>?
    let bytes: ByteBuffer
}

extension Unit {
    /// Sends one session message now, in order with the media written to the session before it.
    func send(_ message: SessionMessage, to session: UnitSession) {
        var buffer = session.connection.allocator.buffer(capacity: 128)
        do {
            try SessionFrame.message(message).write(to: &buffer)
        } catch {
            logger.error("cannot encode a session message: \(error)")
            return
        }
        guard session.loop == 0 else {
            queueRemote(buffer, to: session)
            scheduleRemoteFlush()
            return
        }
        session.connection.writeAndFlush(buffer, promise: nil)
    }

    /// Bytes for a session, in order with everything else written to it: straight to its socket
    /// when nothing waits in NIO before them, else through NIO, flushed with the batch; for a
    /// session on another loop, handed to that loop with the batch.
    func deliver(_ bytes: ByteBuffer, to session: UnitSession) {
        guard session.loop == 0 else {
            queueRemote(bytes, to: session)
            return
        }
        if let writer = session.localWriter {
            guard writer.write(bytes) else { return }
        } else {
            session.connection.write(bytes, promise: nil)
        }
        if !session.awaitingFlush {
            session.awaitingFlush = true
            sessionsToFlush.append(session)
        }
    }

    private func queueRemote(_ bytes: ByteBuffer, to session: UnitSession) {
        remoteWrites[session.loop - 1].append(SessionWrite(connection: session.connection, writer: session.writer, bytes: bytes))
    }

    /// Closes a session's connection after what was written to it.
    func close(_ session: UnitSession) {
        flushRemoteWrites()
        session.connection.close(promise: nil)
    }

    /// A message outside a batch still leaves soon: after what the loop is doing now.
    private func scheduleRemoteFlush() {
        guard !remoteFlushScheduled else { return }
        remoteFlushScheduled = true
        eventLoop.assumeIsolated().execute { [weak self] in
            guard let self else { return }
            self.remoteFlushScheduled = false
            self.flushRemoteWrites()
        }
    }

    /// Hands each other loop what this batch writes to its sessions: one task per loop, run in
    /// the order they were handed over, so every session gets its bytes in order.
    func flushRemoteWrites() {
        for index in remoteWrites.indices where !remoteWrites[index].isEmpty {
            let writes = remoteWrites[index]
            remoteWrites[index] = []
            mediaWorkers[index].loop.execute {
                for write in writes {
                    if let writer = write.writer {
                        if writer.value.write(write.bytes) { write.connection.flush() }
                    } else {
                        write.connection.writeAndFlush(write.bytes, promise: nil)
                    }
                }
            }
        }
    }
}
