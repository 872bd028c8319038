#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CZlib

/// A picture as a file: `--snapshot FILE.png` or `FILE.ppm` (binary PPM, P6) from the
/// broadcaster's preview and the viewer, and the PPM reader the device tests check them with.
public struct PictureFile: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// Packed 8-bit RGB, row by row.
    public var rgb: [UInt8]

    public init(width: Int, height: Int, rgb: [UInt8]) {
        precondition(rgb.count == width * height * 3, "RGB size mismatch")
        self.width = width
        self.height = height
        self.rgb = rgb
    }

    public init(_ frame: I420Frame) {
        var rgb = [UInt8](repeating: 0, count: frame.width * frame.height * 3)
        for y in 0..<frame.height {
            for x in 0..<frame.width {
                let colour = frame.rgb(x: x, y: y)
                let at = 3 * (y * frame.width + x)
                rgb[at] = colour.r
                rgb[at + 1] = colour.g
                rgb[at + 2] = colour.b
            }
        }
        self.init(width: frame.width, height: frame.height, rgb: rgb)
    }

    public subscript(x: Int, y: Int) -> RGB {
        let at = 3 * (y * width + x)
        return RGB(rgb[at], rgb[at + 1], rgb[at + 2])
    }

    /// The file types `write(to:)` knows, by extension.
    public static func checkName(_ path: String) throws {
        guard path.lowercased().hasSuffix(".png") || path.lowercased().hasSuffix(".ppm") else {
            throw MediaError.badFile("\(path): name a .png or .ppm file for the snapshot")
        }
    }

    /// Writes a PNG or a PPM, by the path's extension.
    public func write(to path: String) throws {
        try Self.checkName(path)
        let bytes = path.lowercased().hasSuffix(".png") ? png : ppm
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw MediaError.badFile("cannot write the snapshot \(path)")
        }
    }

    public var ppm: [UInt8] { Array("P6\n\(width) \(height)\n255\n".utf8) + rgb }

    /// A truecolour PNG: each row with filter 0, deflated by zlib.
    public var png: [UInt8] {
        var raw = [UInt8]()
        raw.reserveCapacity(height * (1 + width * 3))
        for y in 0..<height {
            raw.append(0)
            raw += rgb[(y * width * 3)..<((y + 1) * width * 3)]
        }
        var deflated = [UInt8](repeating: 0, count: Int(compressBound(uLong(raw.count))))
        var length = uLongf(deflated.count)
        let status = deflated.withUnsafeMutableBufferPointer { out in
            raw.withUnsafeBufferPointer { compress2(out.baseAddress, &length, $0.baseAddress, uLong(raw.count), 6) }
        }
        precondition(status == Z_OK, "zlib compress2 failed: \(status)")
        deflated.removeSubrange(Int(length)...)
        var header = Self.bigEndian(UInt32(width)) + Self.bigEndian(UInt32(height))
        header += [8, 2, 0, 0, 0]  // 8 bits, truecolour, deflate, filter 0, no interlace
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
            + Self.chunk("IHDR", header) + Self.chunk("IDAT", deflated) + Self.chunk("IEND", [])
    }

    /// Reads a binary PPM (P6, 8 bits) as written by `write(to:)`.
    public init(ppm bytes: [UInt8], path: String) throws {
        // The header: "P6", width, height, maximum, each after white space, then one white space byte.
        var fields: [String] = []
        var index = 0
        while fields.count < 4, index < bytes.count {
            while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 { index += 1 }
            let start = index
            while index < bytes.count, !(bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09) { index += 1 }
            fields.append(String(decoding: bytes[start..<index], as: UTF8.self))
        }
        index += 1
        guard fields.count == 4, fields[0] == "P6", let width = Int(fields[1]), let height = Int(fields[2]), fields[3] == "255",
            width > 0, height > 0, width <= 16384, height <= 16384, bytes.count - index == width * height * 3
        else { throw MediaError.badFile("\(path) is not an 8-bit binary PPM picture") }
        self.init(width: width, height: height, rgb: Array(bytes[index...]))
    }

    private static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typed = Array(type.utf8) + data
        let crc = typed.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, uInt($0.count))) }
        return bigEndian(UInt32(data.count)) + typed + bigEndian(crc)
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] { (0..<4).reversed().map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
}
