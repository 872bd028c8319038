/// The client's wait for the bind exchange: the request goes out every 100 ms until the unit says
/// the address is bound (`replies` yields) or the timeout passes.
public enum BindExchange {
    public static func run(timeout: Duration, replies: AsyncStream<Void>, send: @escaping @Sendable () -> Void) async throws {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                for await _ in replies { return true }
                return false
            }
            group.addTask {
                let deadline = ContinuousClock.now + timeout
                while ContinuousClock.now < deadline {
                    send()
                    try await Task.sleep(for: .milliseconds(100))
                }
                return false
            }
            let bound = try await group.next() ?? false
            group.cancelAll()
            if !bound { throw ClientError.noBindReply(seconds: Double(timeout.components.seconds)) }
        }
    }
}
