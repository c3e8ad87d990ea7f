import Foundation
import Testing

@testable import DataRole

/// With replicas sharing a data directory, a starting replica removes only staged work nobody has
/// touched for a day: an upload or job in progress elsewhere keeps writing into its item.
@Suite struct StagingSweepTests {
    @Test func removesOnlyItemsUntouchedForLongerThanTheAge() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let workspace = DataWorkspace(root: root.path)
        try workspace.prepareShared()
        let now = Date()
        let dayAndMore = now.addingTimeInterval(-DataWorkspace.abandonedStagingAge - 60)

        let abandoned = try workspace.makeStagingDirectory()
        try Data("half a version".utf8).write(to: abandoned.appendingPathComponent("train.csv"))
        let abandonedUpload = workspace.stagingFile(extension: "csv")
        try Data("a,b\n".utf8).write(to: abandonedUpload)
        // A job that started long ago but wrote a file a minute ago is still at work.
        let working = try workspace.makeStagingDirectory()
        try Data("still writing".utf8).write(to: working.appendingPathComponent("test.csv"))
        for url in [abandoned, abandoned.appendingPathComponent("train.csv"), abandonedUpload, working] {
            try FileManager.default.setAttributes([.modificationDate: dayAndMore], ofItemAtPath: url.path)
        }

        let removed = try workspace.sweepStaging(olderThan: DataWorkspace.abandonedStagingAge, now: now)
        #expect(Set(removed) == [abandoned.lastPathComponent, abandonedUpload.lastPathComponent])
        #expect(FileManager.default.fileExists(atPath: working.appendingPathComponent("test.csv").path))
        #expect(!FileManager.default.fileExists(atPath: abandoned.path))
        #expect(try workspace.sweepStaging(olderThan: DataWorkspace.abandonedStagingAge, now: now).isEmpty)
    }
}
