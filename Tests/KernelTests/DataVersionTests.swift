import Foundation
import Kernel
import Testing

@Suite struct DataVersionTests {
    @Test func md5MatchesMd5sum() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("../shared/datasets/penguins.csv").standardized.path
        let digest = try DataVersion.digest(ofFileAt: path, chunkSize: 4096)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/md5sum")
        process.arguments = [path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(digest.md5 == String(output.prefix(32)))
        #expect(digest.size == (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int))
        #expect(DataVersion.digest(of: Array("hello\n".utf8)).md5 == "b1946ac92492d2347c6235b4d2611184")
    }

    @Test func dvcFileAndCacheLayout() {
        let digest = DataVersion.Digest(md5: "3b36575dd719e733e6dc050a6349a5f7", size: 23)
        #expect(
            DataVersion.dvcFile(for: digest, path: "raw.csv") == """
                outs:
                - md5: 3b36575dd719e733e6dc050a6349a5f7
                  size: 23
                  hash: md5
                  path: raw.csv

                """)
        // An all-digit hash would read as a YAML number.
        let numeric = DataVersion.Digest(md5: "01234567890123456789012345678901", size: 1)
        #expect(DataVersion.dvcFile(for: numeric, path: "a.csv").contains("md5: '01234567890123456789012345678901'"))
        #expect(DataVersion.cachePath(cacheDirectory: "/d/.dvc/cache", md5: digest.md5) == "/d/.dvc/cache/files/md5/3b/36575dd719e733e6dc050a6349a5f7")
    }
}
