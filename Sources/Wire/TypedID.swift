/// A number that names one kind of thing, so a channel number is never passed where a group number belongs.
public struct TypedID<Kind: IDKind>: RawRepresentable, Hashable, Comparable, Codable, Sendable,
    CustomStringConvertible, ExpressibleByIntegerLiteral
{
    public var rawValue: Kind.RawValue

    public init(rawValue: Kind.RawValue) { self.rawValue = rawValue }
    public init(_ rawValue: Kind.RawValue) { self.rawValue = rawValue }
    public init(integerLiteral value: Kind.RawValue.IntegerLiteralType) {
        self.rawValue = Kind.RawValue(integerLiteral: value)
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { String(rawValue) }

    /// Encoded as the bare number.
    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(Kind.RawValue.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// The kind of a `TypedID`: which integer it wraps.
public protocol IDKind: Sendable {
    associatedtype RawValue: FixedWidthInteger & UnsignedInteger & Codable & Sendable
        & ExpressibleByIntegerLiteral
}
