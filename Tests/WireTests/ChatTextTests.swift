import Testing

@testable import Wire

@Suite struct ChatTextTests {
    @Test func removesControlAndEscapeCharacters() {
        #expect(ChatText.clean("hi\u{1B}[2J there\u{07}\r\n") == "hi[2J there")
        #expect(ChatText.clean("\u{9B}31mred\u{202E}txt") == "31mredtxt")
        #expect(ChatText.clean("  \u{1B}\u{00} ") == nil)
        #expect(ChatText.clean("héllo 👋") == "héllo 👋")
    }

    @Test func capsLengthOnACharacterBoundary() {
        let long = String(repeating: "é", count: 400)  // 800 bytes
        let cleaned = ChatText.clean(long)!
        #expect(cleaned.utf8.count == 500)
        #expect(ChatText.clean(String(repeating: "a", count: 499) + "👋") == String(repeating: "a", count: 499))
    }

    @Test func removesTheInvisibleCharactersThatDisguiseText() {
        let hidden = "a\u{200B}b\u{200C}c\u{200D}d\u{200E}e\u{200F}f\u{061C}g\u{2028}h\u{2029}i\u{FEFF}j\u{2060}k"
        #expect(ChatText.clean(hidden) == "abcdefghijk")
    }

    @Test func namesThatPassForAnotherAreTold() {
        for name in ["ann", "ANN", "a n n", "Ánn", "a.n.n", "a\u{200B}nn"] { #expect(ChatText.imitates(name, "Ann"), "\(name)") }
        #expect(ChatText.imitates("h0st", "host") && ChatText.imitates("ho5t", "Host") && ChatText.imitates("bi11", "bill"))
        #expect(!ChatText.imitates("anna", "ann") && !ChatText.imitates("bob", "ann"))
        #expect(!ChatText.imitates("", "") && !ChatText.imitates("...", "!!!"), "a name of no letters imitates nobody")
    }
}
