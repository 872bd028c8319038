import NIOCore
import Wire

extension UnitAddress {
    /// The unit's UDP media address, its host resolved.
    public func mediaAddress() throws -> SocketAddress { try SocketAddress.makeAddressResolvingHost(host, port: mediaPort) }
}
