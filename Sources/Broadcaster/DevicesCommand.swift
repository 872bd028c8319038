import ArgumentParser
import Foundation
import Media

/// `broadcaster devices`: the cameras and sound cards to pass to `--video` and `--audio`.
struct DevicesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices",
        abstract: "List the cameras and the sound cards that can capture.",
        discussion: """
            Cameras are the /dev/video* nodes that capture video, with each format, size and frame rate \
            the driver offers (read from the kernel, as v4l2-ctl --list-formats-ext does). Sound cards \
            are ALSA's cards with their capture devices, and the named capture devices of the ALSA \
            configuration (as arecord -l and arecord -L list them). Exits with 66 when there is neither.
            """
    )

    @Option(help: "Where the device nodes are.")
    var dev = "/dev"

    func run() throws {
        let cameras = CameraCatalog.scan(directory: dev)
        let sound = SoundCardCatalog.scan()
        print(Self.describe(cameras: cameras.cameras, refused: cameras.refused), terminator: "")
        print("")
        print(Self.describe(cards: sound.cards, refused: sound.refused, named: SoundCardCatalog.namedCaptureDevices()), terminator: "")
        if let camera = cameras.cameras.first, let device = sound.cards.first?.captureDevices.first {
            let size = camera.formats.first?.sizes.first
            print("")
            print("Go live with them: broadcaster --title \"My channel\" --video \(camera.path)"
                + (size.map { " --size \($0.width)x\($0.height)" } ?? "") + " --audio \(device.audioArgument)")
            print("Try them first:    broadcaster preview --video \(camera.path) --audio \(device.audioArgument)")
        }
        if cameras.cameras.isEmpty && sound.cards.allSatisfy(\.captureDevices.isEmpty) { throw ExitCode(BroadcasterExit.noDevice) }
    }

    static func describe(cameras: [CameraCatalog.Camera], refused: [CameraCatalog.Refusal]) -> String {
        var text = "Cameras:\n"
        for camera in cameras {
            text += "  \(camera.path)  \(camera.card) (driver \(camera.driver), \(camera.bus))\n"
            if camera.formats.isEmpty { text += "    offers no capture format\n" }
            for format in camera.formats {
                text += "    \(format.code)  \(format.description)\(format.compressed ? " (compressed)" : "")\n"
                for size in format.sizes { text += "      \(size)\n" }
            }
        }
        for refusal in refused { text += "  \(refusal.path): \(refusal.error)\n" }
        if cameras.isEmpty && refused.isEmpty {
            text += """
                  none: there is no /dev/video* node. Check that the camera is plugged in (lsusb) and its \
                driver is loaded (lsmod | grep uvcvideo; dmesg | grep -i video); in a VM or container, that \
                the device is passed through. Without a camera: --video test, or a .y4m file.

                """
        } else if cameras.isEmpty {
            text += "  no node that can be read captures video\n"
        }
        return text
    }

    static func describe(cards: [SoundCardCatalog.Card], refused: [String], named: [(name: String, description: String)]) -> String {
        var text = "Sound cards that can capture:\n"
        for card in cards {
            text += "  card \(card.index): \(card.id) (\(card.longName))\n"
            if card.captureDevices.isEmpty { text += "    no capture device (it only plays)\n" }
            for device in card.captureDevices {
                text += "    --audio \(device.audioArgument)  \(device.name) (raw: \(device.hardwareName), \(device.subdevices) subdevice\(device.subdevices == 1 ? "" : "s"))\n"
            }
        }
        for refusal in refused { text += "  \(refusal)\n" }
        if cards.isEmpty && refused.isEmpty {
            text += """
                  none: ALSA finds no sound card. Check /proc/asound/cards and that the card's driver is \
                loaded (lsmod | grep snd); that you may open /dev/snd/* (the 'audio' group: sudo usermod \
                -aG audio $USER, then log in again). Without a sound card: --audio test, or a .wav file.

                """
        }
        let shown = named.filter { !$0.name.hasPrefix("hw:") && !$0.name.hasPrefix("plughw:") }
        if !shown.isEmpty {
            text += "Named capture devices (ALSA configuration):\n"
            for device in shown.prefix(20) { text += "  --audio \(device.name)\(device.description.isEmpty ? "" : "  \(device.description)")\n" }
        }
        return text
    }
}
