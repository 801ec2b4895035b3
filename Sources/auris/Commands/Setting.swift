import ArgumentParser

/// A whole-number setting from a flag or, without it, an environment variable, refused
/// with a message that names it and its range when it is malformed or out of range:
/// a bad value stops the command before anything starts, it is never clamped in silence.
enum Setting {
    static func integer(
        flag: Int64? = nil, flagName: String? = nil, variable: String, in range: ClosedRange<Int64>
    ) throws -> Int64? {
        let name = flag == nil ? variable : (flagName ?? variable)
        guard let value = try flag ?? Environment.integer(variable) else { return nil }
        guard range.contains(value) else {
            throw ValidationError("\(name) must be \(range.lowerBound) to \(range.upperBound), not \(value)")
        }
        return value
    }
}
