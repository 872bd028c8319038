import Foundation
import Hummingbird
import NIOCore

/// The watch and broadcast pages and their scripts: plain files (Sources/Server/Web/Static, no
/// build step), read once at start and served as they are.
struct StaticFiles: Sendable {
    struct File: Sendable {
        var bytes: ByteBuffer
        var contentType: String
    }

    let files: [String: File]

    /// Every file of the module's Static folder.
    static let bundled = StaticFiles(directory: Bundle.module.url(forResource: "Static", withExtension: nil))

    init(directory: URL?) {
        var files: [String: File] = [:]
        let names = directory.flatMap { try? FileManager.default.contentsOfDirectory(atPath: $0.path) } ?? []
        for name in names {
            guard let directory, let data = FileManager.default.contents(atPath: directory.appendingPathComponent(name).path) else { continue }
            let type = switch (name as NSString).pathExtension {
            case "js", "mjs": "text/javascript; charset=utf-8"
            case "html": "text/html; charset=utf-8"
            case "css": "text/css; charset=utf-8"
            default: "application/octet-stream"
            }
            files[name] = File(bytes: ByteBuffer(bytes: data), contentType: type)
        }
        self.files = files
    }

    /// The file as a response; 404 for a name that is not one of them (no paths: names only).
    func response(_ name: String) -> Response {
        guard let file = files[name] else {
            return Response(status: .notFound, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: "no such file\n")))
        }
        return Response(status: .ok, headers: [.contentType: file.contentType, .cacheControl: "no-cache"], body: .init(byteBuffer: file.bytes))
    }
}
