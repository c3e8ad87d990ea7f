import Foundation
import Kernel
import Testing

@Suite struct DVCRepositoryTests {
    @Test func directoryListingIsByteForBytePythonJSON() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("dvc-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let directory = root.appendingPathComponent("v1")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try Data("a,b\n1,2\n".utf8).write(to: directory.appendingPathComponent("train.csv"))
        try Data("x\n".utf8).write(to: directory.appendingPathComponent("test.csv"))
        try Data("é\n".utf8).write(to: directory.appendingPathComponent("sub/ü.txt"))

        let repository = DVCRepository(root: root)
        try repository.prepare()
        let tracked = try repository.trackDirectory(at: directory)
        #expect(tracked.files.map(\.relativePath) == ["sub/ü.txt", "test.csv", "train.csv"])
        // As `dvc add` computes it (checked against dvc 3.67): json.dumps escapes non-ASCII.
        let listing =
            #"[{"md5": "\#(tracked.files[0].digest.md5)", "relpath": "sub/\u00fc.txt"}, "#
            + #"{"md5": "401b30e3b8b5d629635a5c613cdb7919", "relpath": "test.csv"}, "#
            + #"{"md5": "e5ebd4c02cefbe7955977c67ada242b7", "relpath": "train.csv"}]"#
        #expect(tracked.digest.md5 == DataVersion.digest(of: Array(listing.utf8)).md5 + ".dir")
        #expect(tracked.digest.size == 8 + 2 + 3)

        let cache = repository.cacheDirectory.path
        let object = DataVersion.cachePath(cacheDirectory: cache, md5: tracked.digest.md5)
        #expect(try String(contentsOfFile: object, encoding: .utf8) == listing)
        let permissions = try FileManager.default.attributesOfItem(atPath: object)[.posixPermissions] as? Int
        #expect(permissions == 0o444)
        #expect(
            try String(contentsOf: root.appendingPathComponent("v1.dvc"), encoding: .utf8) == """
                outs:
                - md5: \(tracked.digest.md5)
                  size: 13
                  nfiles: 3
                  hash: md5
                  path: v1

                """)
        #expect(try String(contentsOf: root.appendingPathComponent(".dvc/config"), encoding: .utf8).contains("no_scm = True"))
    }
}
