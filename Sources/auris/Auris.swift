import ArgumentParser

@main
struct Auris: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "auris",
        abstract: "A credit-gated dubbing service: API, workers and operator tools.",
        subcommands: [
            UpCommand.self, ServeCommand.self, WorkerCommand.self, AccountsCommand.self, KeysCommand.self, CreditsCommand.self, JobsCommand.self, LedgerCommand.self,
            ProbeCommand.self,
        ]
    )
}
