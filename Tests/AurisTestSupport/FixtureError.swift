/// A test fixture could not be made (a tool failed, a process did not start or answer):
/// the test stops with what went wrong, not with a wrong result.
public struct FixtureError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
