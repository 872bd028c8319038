import Foundation

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

    /// C0, DEL, C1, and the invisible and bidirectional characters that can disguise text: zero
    /// widths and marks (U+200B-U+200F, U+061C Arabic letter mark, U+FEFF), line and paragraph
    /// separators (U+2028, U+2029), embeddings, overrides and isolates.
    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x061C, 0x200B...0x200F, 0x2028...0x202E, 0x2060...0x2069, 0xFEFF: true
        default: false
        }
    }

    /// Whether `name` would pass for `other` in a chat list: the same once case, spaces,
    /// punctuation, accents and the look-alike digits (0 for o, 1 for l) are set aside.
    public static func imitates(_ name: String, _ other: String) -> Bool {
        let skeleton = Self.skeleton(other)
        return !skeleton.isEmpty && Self.skeleton(name) == skeleton
    }

    static func skeleton(_ name: String) -> String {
        let lookAlike: [Character: Character] = ["0": "o", "1": "l", "i": "l", "|": "l", "3": "e", "5": "s", "$": "s", "@": "a", "4": "a"]
        var result = ""
        for character in name.lowercased() {
            let mapped = lookAlike[character] ?? character
            // The letter without its accents (é is e, ı is i), when it has a plain form.
            guard let base = mapped.unicodeScalars.first.map({ Character(Unicode.Scalar(Self.plain($0))) }) else { continue }
            if base.isLetter || base.isNumber { result.append(lookAlike[base] ?? base) }
        }
        return result
    }

    /// A Latin letter with a diacritic as its base letter; anything else as it is.
    private static func plain(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        let decomposed = String(scalar).decomposedStringWithCompatibilityMapping.unicodeScalars
        return decomposed.first ?? scalar
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
