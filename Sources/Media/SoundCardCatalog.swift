#if canImport(Glibc)
import Glibc
#endif
import CALSA

/// The sound cards that can capture, as ALSA describes them (`broadcaster devices`, like
/// `arecord -l` and `arecord -L`): each card's capture PCMs by the names `--audio` takes.
public enum SoundCardCatalog {
    public struct Card: Sendable, Equatable {
        public var index: Int
        /// The card's id, as in `hw:Loopback,1`.
        public var id: String
        public var name: String
        public var longName: String
        public var captureDevices: [Device]
    }

    public struct Device: Sendable, Equatable {
        public var number: Int
        public var name: String
        public var subdevices: Int
        /// What to pass to `--audio`: the card's own device, converting rate, format and channels
        /// as needed (`plughw:`), which is what a user wants unless they know the card's formats.
        public var audioArgument: String
        /// The raw device, no conversion.
        public var hardwareName: String
    }

    /// The cards ALSA knows (from /dev/snd), with their capture devices; a card that cannot be
    /// opened comes with why.
    public static func scan() -> (cards: [Card], refused: [String]) {
        avc_alsa_quiet()
        var cards: [Card] = []
        var refused: [String] = []
        var index: Int32 = -1
        while snd_card_next(&index) == 0, index >= 0 {
            var control: OpaquePointer?
            let opened = snd_ctl_open(&control, "hw:\(index)", 0)
            guard opened >= 0, let control else {
                let hint = -opened == EACCES || -opened == EPERM ? "; add yourself to the 'audio' group (sudo usermod -aG audio $USER)" : ""
                refused.append("sound card \(index): \(String(cString: snd_strerror(opened)))\(hint)")
                continue
            }
            defer { snd_ctl_close(control) }
            var info: OpaquePointer?
            snd_ctl_card_info_malloc(&info)
            defer { snd_ctl_card_info_free(info) }
            guard snd_ctl_card_info(control, info) >= 0 else { continue }
            let id = String(cString: snd_ctl_card_info_get_id(info))
            var card = Card(
                index: Int(index), id: id, name: String(cString: snd_ctl_card_info_get_name(info)),
                longName: String(cString: snd_ctl_card_info_get_longname(info)), captureDevices: [])
            var pcmInfo: OpaquePointer?
            snd_pcm_info_malloc(&pcmInfo)
            defer { snd_pcm_info_free(pcmInfo) }
            var device: Int32 = -1
            while snd_ctl_pcm_next_device(control, &device) == 0, device >= 0 {
                snd_pcm_info_set_device(pcmInfo, UInt32(device))
                snd_pcm_info_set_subdevice(pcmInfo, 0)
                snd_pcm_info_set_stream(pcmInfo, SND_PCM_STREAM_CAPTURE)
                // A device without a capture stream answers ENOENT: it only plays.
                guard snd_ctl_pcm_info(control, pcmInfo) >= 0 else { continue }
                card.captureDevices.append(Device(
                    number: Int(device), name: String(cString: snd_pcm_info_get_name(pcmInfo)),
                    subdevices: Int(snd_pcm_info_get_subdevices_count(pcmInfo)),
                    audioArgument: "plughw:\(id),\(device)", hardwareName: "hw:\(id),\(device)"))
            }
            cards.append(card)
        }
        return (cards, refused)
    }

    /// Named capture PCMs from the ALSA configuration (`default`, `sysdefault:CARD=...`, plugin
    /// devices of ~/.asoundrc), as `arecord -L` lists them.
    public static func namedCaptureDevices() -> [(name: String, description: String)] {
        avc_alsa_quiet()
        var hints: UnsafeMutablePointer<UnsafeMutableRawPointer?>?
        guard snd_device_name_hint(-1, "pcm", &hints) == 0, let hints else { return [] }
        defer { snd_device_name_free_hint(hints) }
        var found: [(String, String)] = []
        var cursor = hints
        while let hint = cursor.pointee {
            defer { cursor += 1 }
            func value(_ key: String) -> String? {
                guard let raw = snd_device_name_get_hint(hint, key) else { return nil }
                defer { free(raw) }
                return String(cString: raw)
            }
            // IOID is absent for devices that do both, "Input" for capture only.
            guard let name = value("NAME"), value("IOID") != "Output", name != "null" else { continue }
            let description = (value("DESC") ?? "").split(whereSeparator: \.isNewline).joined(separator: ", ")
            found.append((name, description))
        }
        return found
    }
}
