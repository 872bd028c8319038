import NIOCore

extension SessionOpened {
    /// The bind request that proves a UDP socket belongs to this session (also its keepalive).
    public var bindRequest: ByteBuffer { BindDatagram.request(session: session, token: bindToken).encoded() }
}
