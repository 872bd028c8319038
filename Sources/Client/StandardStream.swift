#if canImport(Glibc)
import Glibc
#endif

/// Writes text to a file descriptor at once and whole (no stdio buffer, partial writes resumed):
/// how the CLIs draw status lines and terminal frames.
public enum StandardStream {
    public static func write(_ text: String, to fd: Int32) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if written <= 0 { return }
                offset += written
            }
        }
    }
}
