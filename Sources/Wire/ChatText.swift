/// The rules every chat line passes before it is relayed: valid UTF-8, no control or escape
/// characters (a line must never drive a viewer's terminal), at most `maxBytes` bytes.
public enum ChatText {
    public static let maxBytes = 500

    /// The text with control characters removed and cut to `maxBytes` on a character boundary;
    /// nil when nothing printable is left.
    public static func clean(_ text: String, maxBytes: Int = maxBytes) -> String? {
        var result = ""
        var size = 0
        for scalar in text.unicodeScalars where !isControl(scalar) {
            let length = String(scalar).utf8.count
            guard size + length <= maxBytes else { break }
            result.unicodeScalars.append(scalar)
            size += length
        }
        let trimmed = result.trimmingSpaces()
        return trimmed.isEmpty ? nil : trimmed
    }

    /// C0, DEL, C1 and the bidirectional overrides that can disguise text.
    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        var scalars = Substring(self)
        while scalars.first == " " { scalars.removeFirst() }
        while scalars.last == " " { scalars.removeLast() }
        return String(scalars)
    }
}
