/// The RTP header extension block (RFC 3550 section 5.3.1), read and written as RFC 8285 elements.
public struct RTPHeaderExtension: Equatable, Sendable {
    /// RFC 8285 one-byte form.
    public static let oneByteProfile: UInt16 = 0xBEDE
    /// RFC 8285 two-byte form; the low four bits are application bits.
    public static let twoByteProfileMask: UInt16 = 0xFFF0
    public static let twoByteProfile: UInt16 = 0x1000

    /// The 16-bit "defined by profile" field.
    public var profile: UInt16
    /// The extension data, a whole number of 32-bit words.
    public var data: [UInt8]

    public init(profile: UInt16, data: [UInt8]) {
        self.profile = profile
        self.data = data
    }

    /// Packs elements in the one-byte form when they all fit it, otherwise in the two-byte form.
    public init(elements: [RTPHeaderExtensionElement]) throws {
        let oneByte = elements.allSatisfy(\.fitsOneByteForm)
        var bytes: [UInt8] = []
        for element in elements {
            if oneByte {
                bytes.append(element.id << 4 | UInt8(element.data.count - 1))
            } else {
                guard element.id != 0, element.data.count <= 255 else {
                    throw WireError.invalidHeaderExtension("element id \(element.id) with \(element.data.count) bytes fits neither form")
                }
                bytes.append(element.id)
                bytes.append(UInt8(element.data.count))
            }
            bytes.append(contentsOf: element.data)
        }
        while bytes.count % 4 != 0 { bytes.append(0) }
        guard bytes.count / 4 <= Int(UInt16.max) else {
            throw WireError.invalidHeaderExtension("\(bytes.count) bytes of elements exceed the 16-bit length field")
        }
        self.init(profile: oneByte ? Self.oneByteProfile : Self.twoByteProfile, data: bytes)
    }

    /// The RFC 8285 elements, or an error when the block is in neither RFC 8285 form or is corrupt.
    public func elements() throws -> [RTPHeaderExtensionElement] {
        if profile == Self.oneByteProfile { return try oneByteElements() }
        if profile & Self.twoByteProfileMask == Self.twoByteProfile { return try twoByteElements() }
        throw WireError.invalidHeaderExtension("profile 0x\(String(profile, radix: 16)) is neither the one-byte nor the two-byte form")
    }

    /// The data of the element with this id, if present and well formed.
    public func element(id: UInt8) -> [UInt8]? {
        (try? elements())?.first { $0.id == id }?.data
    }

    private func oneByteElements() throws -> [RTPHeaderExtensionElement] {
        var result: [RTPHeaderExtensionElement] = []
        var index = 0
        while index < data.count {
            let header = data[index]
            if header == 0 { index += 1; continue }  // padding
            let id = header >> 4
            if id == 15 { break }  // reserved: stop reading (RFC 8285 section 4.2)
            let length = Int(header & 0x0F) + 1
            guard index + 1 + length <= data.count else {
                throw WireError.invalidHeaderExtension("one-byte element \(id) claims \(length) bytes past the end of the block")
            }
            result.append(RTPHeaderExtensionElement(id: id, data: Array(data[index + 1..<index + 1 + length])))
            index += 1 + length
        }
        return result
    }

    private func twoByteElements() throws -> [RTPHeaderExtensionElement] {
        var result: [RTPHeaderExtensionElement] = []
        var index = 0
        while index < data.count {
            let id = data[index]
            if id == 0 { index += 1; continue }  // padding
            guard index + 1 < data.count else {
                throw WireError.invalidHeaderExtension("two-byte element \(id) has no length byte")
            }
            let length = Int(data[index + 1])
            guard index + 2 + length <= data.count else {
                throw WireError.invalidHeaderExtension("two-byte element \(id) claims \(length) bytes past the end of the block")
            }
            result.append(RTPHeaderExtensionElement(id: id, data: Array(data[index + 2..<index + 2 + length])))
            index += 2 + length
        }
        return result
    }
}
