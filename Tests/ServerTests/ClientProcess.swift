import Foundation

/// A real `broadcaster` or `viewer` process; its output is kept in a file for the test to read.
final class ClientProcess: @unchecked Sendable {
    // Process is not Sendable; this object only starts, reads and stops it.
    private let process = Process()
    let output: URL
    private let input = Pipe()

    init(_ program: String, _ arguments: [String]) throws {
        output = FileManager.default.temporaryDirectory.appendingPathComponent("\(program.split(separator: "/").last ?? "tool")-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let log = try FileHandle(forWritingTo: output)
        // A path is a tool of the system's (ffmpeg); a name, one of this project's binaries.
        process.executableURL = program.hasPrefix("/")
            ? URL(fileURLWithPath: program) : UnitProcess.binary.deletingLastPathComponent().appendingPathComponent(program)
        process.arguments = arguments
        process.standardOutput = log
        process.standardError = log
        process.standardInput = input
        try process.run()
    }

    var text: String { (try? String(contentsOf: output, encoding: .utf8)) ?? "" }

    /// Waits for the process to end and returns its exit status.
    func finish() async -> Int32 {
        while process.isRunning { try? await Task.sleep(for: .milliseconds(50)) }
        return process.terminationStatus
    }

    /// Types a line on the process's standard input.
    func type(_ line: String) {
        input.fileHandleForWriting.write(Data((line + "\n").utf8))
    }

    /// Writes bytes to the process's standard input (blocks while the pipe is full).
    func write(_ bytes: [UInt8]) { input.fileHandleForWriting.write(Data(bytes)) }

    /// Ends the process's standard input.
    func closeInput() { try? input.fileHandleForWriting.close() }

    func interrupt() { process.interrupt() }

    deinit {
        if process.isRunning { process.terminate() }
        try? FileManager.default.removeItem(at: output)
    }
}
