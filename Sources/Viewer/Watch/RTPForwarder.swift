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
    let host: String
    let port: Int
    let audio: SocketAddress
    let video: SocketAddress
    /// Where the session description goes, written once the channel's video codec is known.
    let sdpPath: String?
    private let socket: Channel

    init(host: String, port: Int, sdpPath: String?) async throws {
        self.host = host
        self.port = port
        self.sdpPath = sdpPath
        audio = try SocketAddress.makeAddressResolvingHost(host, port: port)
        video = try SocketAddress.makeAddressResolvingHost(host, port: port + 2)
        socket = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: audio.protocol == .inet6 ? "::" : "0.0.0.0", port: 0).get()
    }

    func forward(_ packet: ByteBuffer, payloadType: UInt8) {
        let destination = VideoCodec(payloadType: payloadType) != nil ? video : audio
        socket.writeAndFlush(AddressedEnvelope(remoteAddress: destination, data: packet), promise: nil)
    }

    func close() async { try? await socket.close() }

    /// Writes the session description for a channel carrying `videoCodec` (at each join: a
    /// player started later reads the same).
    func describe(channel: ChannelID, videoCodec: VideoCodec) throws {
        guard let sdpPath else { return }
        try Self.sdp(host: host, port: port, channel: channel, videoCodec: videoCodec).write(toFile: sdpPath, atomically: true, encoding: .utf8)
    }

    /// The session description of the forwarded stream.
    static func sdp(host: String, port: Int, channel: ChannelID, videoCodec: VideoCodec) -> String {
        let family = host.contains(":") ? "IP6" : "IP4"
        let opus = RTPPayloadFormat.opus
        let video = videoCodec.format
        return """
            v=0
            o=- 0 0 IN \(family) \(host)
            s=avcluster channel \(channel)
            c=IN \(family) \(host)
            t=0 0
            m=audio \(port) RTP/AVP \(opus.payloadType)
            a=rtpmap:\(opus.rtpmap)
            \(opus.parameters.map { "a=fmtp:\(opus.payloadType) \($0)\n" } ?? "")a=extmap:\(CaptureTime.extensionID) \(CaptureTime.uri)
            a=recvonly
            m=video \(port + 2) RTP/AVP \(video.payloadType)
            a=rtpmap:\(video.rtpmap)
            \(video.parameters.map { "a=fmtp:\(video.payloadType) \($0)\n" } ?? "")a=extmap:\(CaptureTime.extensionID) \(CaptureTime.uri)
            a=recvonly

            """.replacingOccurrences(of: "\n", with: "\r\n")
    }
}
