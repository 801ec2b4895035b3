import ArgumentParser

@main
struct AurisBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "auris-bench",
        abstract: "In-process benchmarks that scripts/bench runs in release builds.",
        subcommands: [QueueBenchmark.self, LatencyBenchmark.self, ProbeBenchmark.self, ContendCommand.self, BareHTTPCommand.self]
    )
}
