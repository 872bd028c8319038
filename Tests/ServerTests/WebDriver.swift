import Client
import Foundation
import NIOHTTP1

/// A headless Chromium driven through chromedriver's WebDriver protocol (W3C), for the dashboard
/// and the watch and broadcast pages: start, open a page, run scripts, click, take a screenshot.
final class WebDriver: @unchecked Sendable {
    // The chromedriver process is only started here and terminated in quit().
    private var process = Process()
    private var http = APIEndpoint(host: "127.0.0.1", port: 0)
    private var session = ""
    /// The browser's profile directory, which also names its processes for the clean-up.
    private let profile = FileManager.default.temporaryDirectory.appendingPathComponent("avcluster-browser-\(UUID().uuidString)").path

    static var available: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver") }

    /// `arguments`: more Chromium flags (autoplay, fake camera and microphone).
    init(arguments: [String] = []) async throws {
        // chromedriver listens on the port it is given (one below the ephemeral range, which no
        // outgoing connection takes); should it still be taken, chromedriver exits at once and is
        // started again on another.
        var listening = false
        for _ in 1...3 where !listening {
            let port = try await FailoverTests.freePorts(1)[0]
            process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/chromedriver")
            process.arguments = ["--port=\(port)"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            http = APIEndpoint(host: "127.0.0.1", port: port)
            for _ in 0..<200 where process.isRunning {
                if (try? await http.send(.GET, "/status"))?.status == 200 {
                    listening = true
                    break
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            if !listening { kill(process.processIdentifier, SIGKILL) }
        }
        guard listening else { throw APIEndpoint.Failure(status: 0, message: "chromedriver never answered on three ports") }
        let capabilities: [String: Any] = [
            "capabilities": ["alwaysMatch": ["browserName": "chrome", "goog:chromeOptions": [
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,1000", "--user-data-dir=\(profile)"] + arguments,
            ]]]
        ]
        // A cold browser start on a busy machine can outlast one request's deadline: ask again.
        var answer: [String: Any] = [:]
        for attempt in 1...3 {
            do {
                answer = try await call(.POST, "/session", capabilities)
                break
            } catch let failure as APIEndpoint.Failure where failure.status == 0 && attempt < 3 {
                try await Task.sleep(for: .seconds(1))
            }
        }
        session = ((answer["value"] as? [String: Any])?["sessionId"] as? String) ?? ""
    }

    func open(_ url: String) async throws { _ = try await call(.POST, "/session/\(session)/url", ["url": url]) }

    /// Runs JavaScript in the page and returns its result.
    func script(_ source: String) async throws -> Any? {
        try await call(.POST, "/session/\(session)/execute/sync", ["script": source, "args": [] as [Any]])["value"] ?? nil
    }

    /// Finds and clicks an element; tries again when the page redrew it in between (the
    /// dashboard redraws on every update).
    func click(css selector: String) async throws {
        var attempt = 0
        while true {
            do {
                let found = try await call(.POST, "/session/\(session)/element", ["using": "css selector", "value": selector])
                guard let element = (found["value"] as? [String: Any])?.values.first as? String else {
                    throw APIEndpoint.Failure(status: 404, message: "no element \(selector)")
                }
                _ = try await call(.POST, "/session/\(session)/element/\(element)/click", [:])
                return
            } catch let failure as APIEndpoint.Failure where failure.message.contains("stale element") && attempt < 10 {
                attempt += 1
            }
        }
    }

    /// The page as PNG bytes.
    func screenshot() async throws -> Data {
        let answer = try await call(.GET, "/session/\(session)/screenshot", nil)
        return Data(base64Encoded: (answer["value"] as? String) ?? "") ?? Data()
    }

    /// Closes the browser (giving it 5 s) and stops chromedriver.
    func quit() async {
        let (http, session) = (self.http, self.session)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { _ = try? await http.send(.DELETE, "/session/\(session)") }
            group.addTask { try? await Task.sleep(for: .seconds(5)) }
            await group.next()
            group.cancelAll()
        }
        kill(process.processIdentifier, SIGKILL)
        // Whatever the browser left running.
        let cleanup = Process()
        cleanup.executableURL = URL(fileURLWithPath: "/usr/bin/pkill")
        cleanup.arguments = ["-9", "-f", profile]
        try? cleanup.run()
        try? await Task.sleep(for: .milliseconds(300))
        try? FileManager.default.removeItem(atPath: profile)
    }

    private func call(_ method: HTTPMethodName, _ path: String, _ body: [String: Any]?) async throws -> [String: Any] {
        let bytes = try body.map { Array(try JSONSerialization.data(withJSONObject: $0)) }
        let (status, data) = try await http.send(method.nio, path, body: bytes)
        let json = (try? JSONSerialization.jsonObject(with: Data(data))) as? [String: Any] ?? [:]
        guard (200..<300).contains(status) else { throw APIEndpoint.Failure(status: status, message: "\(json["value"] ?? String(decoding: data, as: UTF8.self))") }
        return json
    }

    enum HTTPMethodName {
        case GET, POST, DELETE
        var nio: NIOHTTP1.HTTPMethod {
            switch self {
            case .GET: .GET
            case .POST: .POST
            case .DELETE: .DELETE
            }
        }
    }
}
