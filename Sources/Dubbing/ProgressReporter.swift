/// Reports the whole job's progress from a stage's own fraction done; stages run in
/// order and report growing fractions, so the reported progress never decreases.
struct ProgressReporter: Sendable {
    let report: @Sendable (DubbingStage, Double) async -> Void

    func callAsFunction(_ stage: DubbingStage, _ fractionOfStage: Double) async {
        await self.report(stage, stage.overallProgress(fractionOfStage))
    }
}
