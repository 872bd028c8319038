import Foundation
import NIOCore
import Testing

@testable import Wire

/// The browser's JavaScript module (Sources/Server/Web/Static/avmedia.js) builds and reads RTP,
/// cuts and joins VP8 frames, and writes and reads session messages exactly as this library does:
/// the vectors are written here, by the Swift code, and checked by Tests/Web/avmedia.test.mjs
/// under Node.
@Suite struct BrowserModuleTests {
    static let node = "/usr/bin/node"
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func hex(_ bytes: some Sequence<UInt8>) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
    static func hex(_ buffer: ByteBuffer) -> String { hex(buffer.readableBytesView) }
    static func message(_ message: SessionMessage) throws -> String { String(decoding: try ControlCoder.encode(message), as: UTF8.self) }

    static func vectors() throws -> [String: Any] {
        var rtp: [[String: Any]] = []
        for (index, payloadSize) in [0, 1, 160, 1172].enumerated() {
            let payload = (0..<payloadSize).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }
            var sender = RTPSender(payloadType: index % 2 == 0 ? 96 : 111, ssrc: [1, 0xFFFF_FFFF, 0x8000_0000, 12345][index], firstSequenceNumber: [0, 65535, 1, 40000][index])
            let captured = CaptureTime(microsecondsSinceEpoch: [1_795_000_000_123_456, 0, 1, 4_102_444_800_000_000][index])
            let timestamp: UInt32 = [0, .max, 90000, 0x8000_0000][index]
            let sequence = sender.sequenceNumber
            let packet = sender.packet(payload: payload, timestamp: timestamp, marker: index % 2 == 0, capturedAt: captured)
            rtp.append([
                "input": [
                    "payloadType": Int(sender.payloadType), "marker": index % 2 == 0, "sequence": Int(sequence), "timestamp": Int(timestamp),
                    "ssrc": Int(sender.ssrc), "captureTimeUs": Int(captured.microsecondsSinceEpoch), "payload": hex(payload),
                ],
                "bytes": hex(packet),
            ])
        }
        // What only the Swift side writes, but a page must read: CSRCs, padding, the two-byte form.
        let capture = CaptureTime(microsecondsSinceEpoch: 1_700_000_000_000_001)
        let twoByte = try RTPHeaderExtension(elements: [capture.element, RTPHeaderExtensionElement(id: 20, data: [1, 2])])
        let swiftOnly = [
            RTPPacket(payloadType: 96, sequenceNumber: 9, timestamp: 9, ssrc: 9, csrcs: [1, 2, 3], payload: ByteBuffer(bytes: [7, 7]), paddingCount: 4),
            RTPPacket(payloadType: 111, sequenceNumber: 9, timestamp: 9, ssrc: 9, headerExtension: twoByte, payload: ByteBuffer(bytes: [1, 2, 3])),
        ]
        let swiftOnlyRTP: [[String: Any]] = swiftOnly.map { packet in
            var entry: [String: Any] = ["bytes": hex(packet.encoded()), "payload": hex(packet.payload)]
            if packet.headerExtension != nil { entry["captureTimeUs"] = Int(capture.microsecondsSinceEpoch) }
            return entry
        }
        let malformedRTP: [[String: String]] = [
            ["bytes": "8060", "why": "shorter than the fixed header"],
            ["bytes": "40600001000000000000000100", "why": "version 1"],
            ["bytes": "90600001000000000000000" + "1bede0005aa", "why": "an extension longer than the packet"],
            ["bytes": "a0600001000000000000000100ff", "why": "padding longer than the packet"],
        ]
        var vp8: [[String: Any]] = []
        for (size, maxPayload) in [(1, 1172), (1168, 1172), (1169, 1172), (5000, 1172), (300, 64)] {
            // A keyframe's first byte has the P bit clear; the others here are interframes.
            let frame = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }.enumerated().map { $0 == 0 ? (size == 5000 ? 0x10 : 0x11) : $1 }
            var packetizer = VP8Packetizer(maxPayloadSize: maxPayload, firstPictureID: UInt16(size % 0x8000 == 0 ? 1 : 0x7FFF))
            let first = packetizer.nextPictureID
            let payloads = packetizer.payloads(for: frame)
            var sender = RTPSender(payloadType: 96, ssrc: 77, firstSequenceNumber: 65534)
            let packets = payloads.enumerated().map { index, payload in
                hex(sender.packet(payload: payload, timestamp: 3000, marker: index == payloads.count - 1, capturedAt: capture))
            }
            vp8.append([
                "frame": hex(frame), "maxPayloadSize": maxPayload, "firstPictureID": Int(first), "payloads": payloads.map { hex($0) },
                "packets": packets, "keyframe": VP8PayloadDescriptor.startsKeyframe(payloads[0]),
            ])
        }
        let descriptors: [[String: Any]] = [
            VP8PayloadDescriptor(isStartOfPartition: true),
            VP8PayloadDescriptor(isStartOfPartition: false, partitionIndex: 2, pictureID: 100, hasLongPictureID: false),
            VP8PayloadDescriptor(isStartOfPartition: true, pictureID: 0x1234, tl0PictureIndex: 5, temporalLayer: (1, true), keyIndex: 3),
        ].map { descriptor in
            var entry: [String: Any] = ["bytes": hex(descriptor.bytes), "size": descriptor.bytes.count, "start": descriptor.isStartOfPartition]
            if let id = descriptor.pictureID { entry["pictureID"] = Int(id) }
            return entry
        }
        let sent: [String: String] = [
            "hello": try message(.hello(Hello(peer: .viewer, name: "ann <b>"))),
            "open": try message(.open(ticket: "T.k", name: "ann")),
            "openResuming": try message(.open(ticket: "T.k", name: "ann", resume: ResumePoint(streams: [.init(ssrc: 3_000_000_000, sequence: 65535), .init(ssrc: 7, sequence: 1)]))),
            "setMode": try message(.setMode(.tcp, reason: "page")),
            "goodbye": try message(.goodbye(reason: "page closed")),
            "chat": try message(.chat(ChatLine(from: "ann", text: "<img src=x onerror=alert(1)> \u{1b}[31m", sentAtMilliseconds: 0))),
        ]
        let received: [String: String] = [
            "opened": try message(.opened(SessionOpened(session: 3, channel: 7, group: 2, role: .viewer, bindToken: BindToken.random(), mediaPort: 7101, mode: .tcp))),
            "error": try message(.error(ControlError(.noRoom, "full"))),
            "modeChanged": try message(.modeChanged(.tcp, reason: "why")),
            "videoSkipped": try message(.videoSkipped(true, reason: "behind")),
            "channelStatus": try message(.channelStatus(viewers: 12)),
            "keyframeRequest": try message(.keyframeRequest(reason: "new viewer")),
            "goodbye": try message(.goodbye(reason: "channel closed")),
            "chat": try message(.chat(ChatLine(from: "bob", text: "<b>hi</b>", sentAtMilliseconds: 5))),
        ]
        return [
            "rtp": rtp, "swiftOnlyRTP": swiftOnlyRTP, "malformedRTP": malformedRTP, "vp8": vp8, "descriptors": descriptors,
            "sent": sent, "received": received,
        ]
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: node), "node is not installed: scripts/install-deps.sh --test installs nodejs"))
    func theBrowserModuleAgreesWithTheWireLibrary() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("avmedia-vectors-\(UUID().uuidString).json")
        try JSONSerialization.data(withJSONObject: try Self.vectors(), options: [.sortedKeys]).write(to: path)
        defer { try? FileManager.default.removeItem(at: path) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.node)
        process.arguments = [Self.root.appendingPathComponent("Tests/Web/avmedia.test.mjs").path, path.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(text.contains(" passed, 0 failed"), "\(text)")
        print("avmedia.js against the Wire library's vectors: \(text.trimmingCharacters(in: .whitespacesAndNewlines))")
    }
}
