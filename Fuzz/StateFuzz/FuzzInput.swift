/// Reads a fuzzer's bytes as a little program: numbers of every width, at their extremes as often
/// as anywhere else, and short strings. An exhausted input reads as zeros, so every byte counts.
struct FuzzInput {
    private var bytes: ArraySlice<UInt8>

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = ArraySlice(bytes)
    }

    var isEmpty: Bool { bytes.isEmpty }

    mutating func byte() -> UInt8 { bytes.popFirst() ?? 0 }

    mutating func integer<Value: FixedWidthInteger>(_ type: Value.Type = Value.self) -> Value {
        var value = Value.zero
        for _ in 0..<MemoryLayout<Value>.size { value = value << 8 | Value(truncatingIfNeeded: byte()) }
        return value
    }

    /// A small number below `bound` (ids that collide, counts that stay short).
    mutating func small(_ bound: Int) -> Int { Int(byte()) % max(bound, 1) }

    mutating func bool() -> Bool { byte() & 1 == 1 }

    mutating func string(maxBytes: Int = 24) -> String {
        let count = small(maxBytes + 1)
        var scalars: [UInt8] = []
        for _ in 0..<count { scalars.append(byte()) }
        return String(decoding: scalars, as: UTF8.self)
    }

    mutating func bytes(maxCount: Int = 64) -> [UInt8] {
        (0..<small(maxCount + 1)).map { _ in byte() }
    }
}
