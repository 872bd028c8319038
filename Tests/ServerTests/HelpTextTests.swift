import Foundation
import Testing

/// Every command's help reads as flowing text: the argument parser wraps it to the terminal, so
/// a line broken by hand would show broken mid-sentence at any other width.
struct HelpTextTests {
    static let commands: [(String, [String])] = [
        ("broadcaster", []), ("broadcaster", ["live"]), ("broadcaster", ["devices"]), ("broadcaster", ["preview"]),
        ("viewer", ["watch"]), ("viewer", ["load"]),
        ("avserver", []), ("avserver", ["all"]), ("avserver", ["csm"]), ("avserver", ["unit"]), ("avserver", ["web"]),
        ("avserver", ["admin"]), ("avserver", ["keygen"]),
    ]

    /// The help as printed `columns` wide.
    static func help(_ program: String, _ arguments: [String], columns: Int) throws -> String {
        let process = Process()
        process.executableURL = UnitProcess.binary.deletingLastPathComponent().appendingPathComponent(program)
        process.arguments = arguments + ["--help"]
        process.environment = ["COLUMNS": String(columns), "PATH": "/usr/bin:/bin"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return text
    }

    @Test(arguments: commands.indices)
    func theOverviewAndDiscussionAreWholeSentencesAtAnyWidth(_ index: Int) throws {
        let (program, arguments) = Self.commands[index]
        // Wide enough that the parser wraps nothing: every line of prose then ends a sentence.
        let wide = try Self.help(program, arguments, columns: 2000)
        let prose = wide.components(separatedBy: "\nUSAGE:")[0].split(separator: "\n")
        #expect(!prose.isEmpty, "\(program) \(arguments): \(wide)")
        // An example command line stands on its own line.
        for line in prose where !["avserver ", "broadcaster ", "viewer "].contains(where: { line.hasPrefix($0) }) {
            #expect(line.last.map { ".:)".contains($0) } ?? true, "\(program) \(arguments) --help has a line broken mid-sentence: '\(line)'")
        }
        // Narrow: still wrapped by the parser, never past the width.
        let narrow = try Self.help(program, arguments, columns: 60)
        let prosePart = narrow.components(separatedBy: "\nUSAGE:")[0]
        #expect(prosePart.split(separator: "\n").allSatisfy { $0.count <= 60 }, "\(program) \(arguments): \(prosePart)")
    }
}
