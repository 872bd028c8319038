#if canImport(Glibc)
import Glibc
#endif

import Wire

/// Text from a server on its way to a terminal (docs/SECURITY.md): whatever a unit or a CSM
/// sends (chat, reasons, errors, titles, log lines) is cleaned here first, so no byte of it can
/// move the cursor, retitle the window or hide text; and its width is counted in terminal cells,
/// so wide characters never break a line or a table.
public enum TerminalText {
    /// The terminal's columns and rows on standard output (80 x 24 when it does not say).
    public static var windowSize: (columns: Int, rows: Int) {
        var window = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &window) == 0, window.ws_col > 0, window.ws_row > 0 else { return (80, 24) }
        return (Int(window.ws_col), Int(window.ws_row))
    }

    /// The text with control and escape characters (C0, DEL, C1, ESC among them) and
    /// bidirectional overrides removed; tabs and line breaks become spaces, unless `keepingLines`
    /// (a table, a report), which keeps each line break.
    public static func clean(_ text: String, keepingLines: Bool = false) -> String {
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n" where keepingLines: result.append(scalar)
            case "\t", "\n", "\r": result.append(" ")
            default: if !ChatText.isControl(scalar) { result.append(scalar) }
            }
        }
        return String(result)
    }

    /// Terminal cells the text takes: 2 for wide characters (East Asian wide and fullwidth,
    /// emoji), 0 for combining marks and zero-width characters, 1 for the rest.
    public static func cells(_ text: String) -> Int {
        text.unicodeScalars.reduce(0) { $0 + cells(of: $1) }
    }

    /// The longest start of `text` that fits in `columns` cells (whole characters only).
    public static func fit(_ text: String, columns: Int) -> String {
        var used = 0
        var result = ""
        for character in text {
            let width = cells(String(character))
            guard used + width <= columns else { break }
            used += width
            result.append(character)
        }
        return result
    }

    /// `text` cleaned and padded with spaces to `columns` cells (longer text is kept whole).
    public static func pad(_ text: String, to columns: Int) -> String {
        text + String(repeating: " ", count: max(0, columns - cells(text)))
    }

    static func cells(of scalar: Unicode.Scalar) -> Int {
        let value = scalar.value
        if scalar.properties.generalCategory == .nonspacingMark || scalar.properties.generalCategory == .enclosingMark
            || value == 0x200B || (0x200C...0x200F).contains(value) || value == 0xFEFF || (0xFE00...0xFE0F).contains(value)
        {
            return 0
        }
        switch value {
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
            0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x1F300...0x1F64F,
            0x1F900...0x1F9FF, 0x20000...0x2FFFD, 0x30000...0x3FFFD:
            return 2
        default:
            return 1
        }
    }
}
