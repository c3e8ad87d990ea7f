import ArgumentParser
import Foundation
import MLCore

struct ProfileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "Summarise a CSV file: column kinds, missing values, distinct counts, statistics, flags."
    )

    @Argument(help: "CSV file to profile.")
    var file: String

    @Option(help: "Target column; its class balance is shown.")
    var target: String?

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @Option(help: "Top values listed per categorical column.")
    var top = 5

    func run() throws {
        let table: Table
        do {
            table = try CSVReader.read(path: file)
        } catch {
            throw ValidationError("\(file): \(error)")
        }
        if let target, table.column(named: target) == nil {
            throw ValidationError("no column named '\(target)'; columns: \(table.columnNames.joined(separator: ", "))")
        }
        let profile = TableProfile(table: table, target: target, topValues: top)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(profile), as: UTF8.self))
        } else {
            print(ProfileReport.render(profile, title: URL(fileURLWithPath: file).lastPathComponent), terminator: "")
        }
    }
}
