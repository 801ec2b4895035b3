/// Runs `work` on each item, at most `concurrency` at a time, and hands each result to
/// `finished` on the caller's task as it arrives (in order of arrival, not of items).
///
/// After the first failure no new item starts, but the ones in flight are awaited and
/// finished: a provider answer that arrived is paid for, so it is kept. Cancellation
/// stops them all.
/// - Throws: the first failure; `canceled` when the task was cancelled.
func forEachConcurrently<Item: Sendable, Output: Sendable>(
    _ items: [Item],
    concurrency: Int,
    _ work: @escaping @Sendable (Item) async throws(DubbingError) -> Output,
    finished: (Item, Output) async -> Void
) async throws(DubbingError) {
    let firstError: DubbingError? = await withTaskGroup(of: (Item, Result<Output, DubbingError>).self) { group in
        var pending = items.makeIterator()
        var failure: DubbingError?
        func startNext(_ group: inout TaskGroup<(Item, Result<Output, DubbingError>)>) {
            guard failure == nil, !Task.isCancelled, let item = pending.next() else { return }
            group.addTask {
                do throws(DubbingError) {
                    return (item, .success(try await work(item)))
                } catch {
                    return (item, .failure(error))
                }
            }
        }
        for _ in 0..<max(1, concurrency) { startNext(&group) }
        while let (item, result) = await group.next() {
            switch result {
            case .success(let output): await finished(item, output)
            case .failure(let error): failure = failure ?? error
            }
            startNext(&group)
        }
        return failure
    }
    if Task.isCancelled { throw .canceled }
    if let firstError { throw firstError }
}
