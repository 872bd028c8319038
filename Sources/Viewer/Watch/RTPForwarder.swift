#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NIOCore
import NIOPosix
import Wire

/// `--rtp-out HOST:PORT`: the channel's packets forwarded as plain RTP, audio to PORT and video to
/// PORT+2 (as the SDP file says), so ffmpeg, ffplay or VLC can play the stream.
final class RTPForwarder: Sendable {
    let audio: SocketAddress
    let video: SocketAddress
    private let socket: Channel

    init(host: String, port: Int) async throws {
        audio = try SocketAddress.makeAddressResolvingHost(host, port: port)
        video = try SocketAddress.makeAddressResolvingHost(host, port: port + 2)
        socket = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: audio.protocol == .inet6 ? "::" : "0.0.0.0", port: 0).get()
    }

    func forward(_ packet: ByteBuffer, payloadType: UInt8) {
        let destination = payloadType == RTPPayloadFormat.vp8.payloadType ? video : audio
        socket.writeAndFlush(AddressedEnvelope(remoteAddress: destination, data: packet), promise: nil)
    }

    func close() async { try? await socket.close() }

    /// The session description of the forwarded stream.
    static func sdp(host: String, port: Int, channel: ChannelID) -> String {
        let family = host.contains(":") ? "IP6" : "IP4"
        return """
            v=0
            o=- 0 0 IN \(family) \(host)
            s=avcluster channel \(channel)
            c=IN \(family) \(host)
            t=0 0
            m=audio \(port) RTP/AVP \(RTPPayloadFormat.opus.payloadType)
            a=rtpmap:\(RTPPayloadFormat.opus.payloadType) opus/48000/2
            a=fmtp:\(RTPPayloadFormat.opus.payloadType) useinbandfec=1
            a=extmap:\(CaptureTime.extensionID) \(CaptureTime.uri)
            a=recvonly
            m=video \(port + 2) RTP/AVP \(RTPPayloadFormat.vp8.payloadType)
            a=rtpmap:\(RTPPayloadFormat.vp8.payloadType) VP8/90000
            a=extmap:\(CaptureTime.extensionID) \(CaptureTime.uri)
            a=recvonly

            """.replacingOccurrences(of: "\n", with: "\r\n")
    }
}
