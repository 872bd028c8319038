import ArgumentParser

/// `avbench`: the project's benchmarks; each prints figures for docs/PERFORMANCE.md.
@main
struct AVBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "avbench",
        abstract: "Benchmarks of the cluster on this machine (figures, not tests).",
        subcommands: [FanOutBenchmark.self, FailoverBenchmark.self, ClusterBenchmark.self, JoinsBenchmark.self, TicketBenchmark.self, IngestBenchmark.self, ProbeCommand.self]
    )
}
