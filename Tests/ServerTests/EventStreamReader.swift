import Foundation

/// A minimal server-sent-events reader over a blocking socket: enough to read a stream's first
/// `data:` line in a test.
final class EventStreamReader: @unchecked Sendable {
    // The socket is used by one test at a time.
    private let socket: Int32
    private var received: [UInt8] = []

    private init(socket: Int32) { self.socket = socket }

    static func connect(port: Int, path: String) async throws -> EventStreamReader {
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard connected == 0 else { Glibc.close(fd); throw POSIXError(.ECONNREFUSED) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        return EventStreamReader(socket: fd)
    }

    /// The next event's data line, without the "data: " prefix.
    func nextDataLine() async throws -> String {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while received.count < 8 << 20 {
            let text = String(decoding: received, as: UTF8.self)
            if let start = text.range(of: "data: "), let end = text[start.upperBound...].range(of: "\n\n") {
                received = Array(text[end.upperBound...].utf8)
                return String(text[start.upperBound..<end.lowerBound])
            }
            let count = recv(socket, &chunk, chunk.count, 0)
            guard count > 0 else { throw POSIXError(.ETIMEDOUT) }
            received += chunk[0..<count]
        }
        throw POSIXError(.EMSGSIZE)
    }

    func close() { Glibc.close(socket) }
}
