import CALSA
import COpus
import CVPX

/// The versions of the C libraries the clients link, for `--version` and bug reports.
public enum MediaLibraries {
    public static var opusVersion: String { String(cString: opus_get_version_string()) }
    public static var vpxVersion: String { String(cString: vpx_codec_version_str()) }
    public static var alsaVersion: String { String(cString: snd_asoundlib_version()) }

    /// One line naming each library and its version.
    public static var summary: String { "\(opusVersion), libvpx \(vpxVersion), alsa-lib \(alsaVersion)" }
}
