import Client
import NIOCore
import NIOPosix
import Testing

@Suite struct APIEndpointTests {
    /// Accepts connections and reads nothing, says nothing.
    static func silentServer() async throws -> any Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelOption(.autoRead, value: false)
            .bind(host: "127.0.0.1", port: 0).get()
    }

    @Test func aServerThatAcceptsButNeverAnswersFailsTheRequestWithinItsTimeout() async throws {
        let silent = try await Self.silentServer()
        defer { silent.close(promise: nil) }
        var client = APIEndpoint(host: "127.0.0.1", port: silent.localAddress!.port!)
        client.answerTimeout = .milliseconds(300)
        let started = ContinuousClock.now
        await #expect { _ = try await client.exchange(.GET, "/api/channels") } throws: {
            "\($0)".contains("sent no answer within")
        }
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test func aTimeoutThatFiresBeforeTheRequestIsWrittenSaysTheSame() async throws {
        let silent = try await Self.silentServer()
        defer { silent.close(promise: nil) }
        var client = APIEndpoint(host: "127.0.0.1", port: silent.localAddress!.port!)
        client.answerTimeout = .nanoseconds(1)
        for _ in 0..<20 {
            await #expect { _ = try await client.exchange(.POST, "/api/channels", body: Array(repeating: 65, count: 4096)) } throws: {
                "\($0)".contains("sent no answer within")
            }
        }
    }
}
