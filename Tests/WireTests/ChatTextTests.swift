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
}
