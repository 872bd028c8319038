import Testing

@testable import Wire

@Suite struct RTPHeaderExtensionTests {
    @Test func picksTheOneByteFormWhenEveryElementFits() throws {
        let block = try RTPHeaderExtension(elements: [
            RTPHeaderExtensionElement(id: 1, data: [0xAA]),
            RTPHeaderExtensionElement(id: 14, data: [UInt8](repeating: 7, count: 16)),
        ])
        #expect(block.profile == RTPHeaderExtension.oneByteProfile)
        #expect(block.data.count % 4 == 0)
        #expect(block.data.prefix(2) == [0x10, 0xAA])
        #expect(try block.elements().map(\.id) == [1, 14])
    }

    @Test func fallsBackToTheTwoByteForm() throws {
        let elements = [
            RTPHeaderExtensionElement(id: 200, data: [1, 2, 3]),
            RTPHeaderExtensionElement(id: 3, data: [UInt8](repeating: 5, count: 40)),
        ]
        let block = try RTPHeaderExtension(elements: elements)
        #expect(block.profile == RTPHeaderExtension.twoByteProfile)
        #expect(try block.elements() == elements)
    }

    @Test func oneByteIDFifteenStopsReading() throws {
        let block = RTPHeaderExtension(profile: 0xBEDE, data: [0x10, 0x01, 0xF0, 0x20])
        #expect(try block.elements() == [RTPHeaderExtensionElement(id: 1, data: [1])])
    }

    @Test func rejectsElementsRunningPastTheBlock() {
        #expect(throws: WireError.self) { try RTPHeaderExtension(profile: 0xBEDE, data: [0x13, 0, 0, 0]).elements() }
        #expect(throws: WireError.self) { try RTPHeaderExtension(profile: 0x1000, data: [0, 0, 0, 5]).elements() }
        #expect(throws: WireError.self) { try RTPHeaderExtension(profile: 0x1000, data: [0, 0, 5, 9]).elements() }
        #expect(throws: WireError.self) { try RTPHeaderExtension(profile: 0x1234, data: []).elements() }
    }

    @Test func captureTimeRoundTripsThroughItsElement() throws {
        let time = CaptureTime(microsecondsSinceEpoch: 0x0102_0304_0506_0708)
        #expect(time.element.data == [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(try CaptureTime(elementData: time.element.data) == time)
        #expect(throws: WireError.self) { try CaptureTime(elementData: [1, 2, 3]) }
        #expect(time.age(at: CaptureTime(microsecondsSinceEpoch: time.microsecondsSinceEpoch + 1500)) == 1500)
    }
}
