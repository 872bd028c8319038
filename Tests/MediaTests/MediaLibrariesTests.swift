import Testing

@testable import Media

@Suite struct MediaLibrariesTests {
    @Test func theCodecAndSoundLibrariesAreLinked() {
        #expect(MediaLibraries.opusVersion.hasPrefix("libopus "))
        #expect(MediaLibraries.vpxVersion.first?.isNumber == true || MediaLibraries.vpxVersion.hasPrefix("v"))
        #expect(MediaLibraries.alsaVersion.split(separator: ".").count >= 2)
    }
}
