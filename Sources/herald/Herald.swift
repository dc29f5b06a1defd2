import ArgumentParser
import HeraldServer

/// `herald`: the real-time event hub for AI-agent runs, and its command-line tools.
@main
struct Herald: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "herald",
        abstract: "A real-time event hub for AI-agent runs.",
        version: Version.line,
        subcommands: [
            Serve.self, Emit.self, Runs.self, Events.self, Watch.self, TailFile.self, Demo.self, Export.self, Import.self, Keys.self, Migrate.self,
            Bench.self, VocabularyCommand.self, Version.self,
        ]
    )
}
