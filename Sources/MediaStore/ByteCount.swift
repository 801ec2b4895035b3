import Synchronization

/// A byte count shared between a transfer's task and the code that decides whether the
/// transfer may be tried again.
final class ByteCount: Sendable {
    private let count = Atomic<Int64>(0)

    func add(_ bytes: Int) {
        count.add(Int64(bytes), ordering: .relaxed)
    }

    var value: Int64 { count.load(ordering: .relaxed) }
}
