import ArgumentParser
import HeraldCore

/// `herald vocabulary`: the built-in types and their rules, as the server checks them.
struct VocabularyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vocabulary",
        abstract: "Print the built-in event types, their fields and the renames ingest teaches.",
        discussion: """
            Generated from the rules the server validates with, so it cannot drift from them.
              herald vocabulary --markdown > docs/vocabulary.md
              herald vocabulary --json
            """
    )

    @Flag(help: "Print the reference as Markdown (docs/vocabulary.md).")
    var markdown = false

    @Flag(help: "Print the reference as JSON, for programs (e.g. a client library's test that every type has a helper).")
    var json = false

    func validate() throws {
        guard markdown != json else { throw ValidationError("give one of --markdown or --json") }
    }

    func run() throws {
        var output = CLIOutput()
        if json {
            output.line(Vocabulary.json)
        } else {
            output.line(Vocabulary.markdown.utf8.dropLast())
        }
        output.flush()
    }
}
