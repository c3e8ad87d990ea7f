import Foundation
import MLCore
import Testing

func numbers(_ table: Table, _ name: String) -> [Double]? {
    if case .numeric(let values)? = table.column(named: name)?.storage { return values }
    return nil
}

func labels(_ table: Table, _ name: String) -> [String?]? {
    guard case .categorical(let codes, let labels)? = table.column(named: name)?.storage else { return nil }
    return codes.map { $0 < 0 ? nil : labels[Int($0)] }
}

@Suite struct CSVReaderTests {
    @Test func quotedFieldsDoubledQuotesAndEmbeddedNewlines() throws {
        let table = try CSVReader.read(string: "id,text\n1,\"a, b\"\n2,\"say \"\"hi\"\"\"\n3,\"two\nlines\"\n4,plain\n")
        #expect(table.rowCount == 4)
        #expect(labels(table, "text") == ["a, b", "say \"hi\"", "two\nlines", "plain"])
        #expect(numbers(table, "id") == [1, 2, 3, 4])
    }

    @Test func byteOrderMarkAndCRLF() throws {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("name,score\r\nann,1.5\r\nbob,2\r\n".utf8)
        let table = try CSVReader.read(bytes: bytes)
        #expect(table.columnNames == ["name", "score"])
        #expect(labels(table, "name") == ["ann", "bob"])
        #expect(numbers(table, "score") == [1.5, 2])
    }

    @Test func semicolonsWithDecimalCommas() throws {
        let table = try CSVReader.read(string: "city;lat;lon\nParis;48,85;2,35\nLyon;45,76;4,84\n")
        #expect(numbers(table, "lat") == [48.85, 45.76])
        #expect(numbers(table, "lon") == [2.35, 4.84])
        let tabs = try CSVReader.read(string: "a\tb\n1\tx\n")
        #expect(tabs.columnNames == ["a", "b"])
        // With a comma delimiter a comma can never be a decimal separator.
        #expect(numbers(try CSVReader.read(string: "a,b\n\"1,5\",2\n"), "a") == nil)
    }

    @Test func missingTokensAndTypeInference() throws {
        let csv = """
            n,flag,when,group,mostly_numbers
            1,true,2024-01-31,a,1
            NA,FALSE,2024-02-01 13:45,b,2
            2.5,,2024-02-02T08:00:00Z,NA,?
            -1e3,True,N/A,a,oops

            """
        let table = try CSVReader.read(string: csv)
        #expect(table.schema.columns.map(\.kind) == [.numeric, .boolean, .dateTime, .categorical, .categorical])
        let n = try #require(numbers(table, "n"))
        #expect(n[0] == 1 && n[1].isNaN && n[2] == 2.5 && n[3] == -1000)
        #expect(table.column(named: "flag")?.storage == .boolean([1, 0, -1, 1]))
        guard case .dateTime(let when)? = table.column(named: "when")?.storage else { Issue.record("not a date-time"); return }
        #expect(when[0] == 1_706_659_200)
        #expect(when[1] == 1_706_795_100)
        #expect(when[2] == 1_706_860_800)
        #expect(when[3].isNaN)
        #expect(labels(table, "group") == ["a", "b", nil, "a"])
        // One non-number anywhere makes the whole column categorical: inference reads every row.
        #expect(labels(table, "mostly_numbers") == ["1", "2", nil, "oops"])
        #expect(table.schema.columns[3] == ColumnSchema(name: "group", kind: .categorical, nullable: true, categories: ["a", "b"]))
    }

    /// "café" precomposed and decomposed are one label to Swift: they share one code, stored in
    /// NFC, and preprocessing a target spelled both ways works instead of trapping.
    @Test func labelsInTwoUnicodeFormsAreOneLabel() throws {
        let composed = "caf\u{E9}", decomposed = "cafe\u{301}"
        var csv = "x,drink\n"
        for row in 0..<40 {
            csv += "\(row),\(row % 3 == 0 ? composed : row % 3 == 1 ? decomposed : "tea")\n"
        }
        let table = try CSVReader.read(string: csv)
        guard case .categorical(let codes, let stored)? = table.column(named: "drink")?.storage else {
            Issue.record("drink is not categorical")
            return
        }
        #expect(stored.count == 2)
        #expect(stored.contains { Array($0.unicodeScalars) == Array(composed.unicodeScalars) })
        #expect(codes[0] == codes[1])

        let split = try Preprocessor.run(table, spec: PreprocessSpec(target: "drink"))
        #expect(split.report.classLabels?.count == 2, "\(String(describing: split.report.classLabels))")

        // Column names too: one name in two spellings is a duplicate column, said so.
        #expect(throws: CSVError.self) { try CSVReader.read(string: "\(composed),\(decomposed)\n1,2\n") }
    }

    /// A file of commas must not cost gigabytes: past the field limit, reading stops with an error.
    @Test func filesPastTheFieldLimitAreRefused() throws {
        let header = (0..<100).map { "c\($0)" }.joined(separator: ",")
        let row = String(repeating: ",", count: 99)
        let csv = header + "\n" + Array(repeating: row, count: 2_000).joined(separator: "\n") + "\n"
        #expect(throws: CSVError(.tooManyFields(limit: 50_000))) {
            try CSVReader.read(string: csv, options: CSVOptions(chunkSize: 4096, maxFields: 50_000))
        }
        #expect(try CSVReader.read(string: csv, options: CSVOptions(maxFields: 300_000)).rowCount == 2_000)
    }

    @Test func raggedRowsNameTheLine() {
        #expect(throws: CSVError(.raggedRow(expected: 2, actual: 3), line: 3)) {
            try CSVReader.read(string: "a,b\n1,2\n3,4,5\n")
        }
        #expect(throws: CSVError(.raggedRow(expected: 2, actual: 1), line: 4)) {
            // The quoted newline in row 1 moves row 2 to line 4.
            try CSVReader.read(string: "a,b\n\"x\ny\",2\n3\n")
        }
    }

    @Test func emptyHeaderOnlyAndBrokenFiles() throws {
        #expect(throws: CSVError(.emptyFile)) { try CSVReader.read(string: "") }
        #expect(throws: CSVError(.emptyFile)) { try CSVReader.read(bytes: [0xEF, 0xBB, 0xBF]) }
        let headerOnly = try CSVReader.read(string: "a,b\n")
        #expect(headerOnly.rowCount == 0)
        #expect(headerOnly.columnNames == ["a", "b"])
        #expect(throws: CSVError(.duplicateColumn("a"), line: 1, column: "a")) { try CSVReader.read(string: "a,b,a\n1,2,3\n") }
        #expect(throws: CSVError(.unterminatedQuote, line: 2, column: "b")) { try CSVReader.read(string: "a,b\n1,\"open\n") }
        #expect(throws: CSVError(.unexpectedCharacterAfterQuote, line: 2, column: "a")) { try CSVReader.read(string: "a,b\n\"x\"y,1\n") }
    }

    @Test func invalidUTF8NamesLineAndColumn() {
        let bytes = Array("a,b\n1,ok\n2,".utf8) + [0xC3, 0x28] + Array("\n".utf8)
        #expect(throws: CSVError(.invalidUTF8, line: 3, column: "b")) { try CSVReader.read(bytes: bytes) }
    }

    @Test func chunkBoundariesDoNotMatter() throws {
        let csv = "\u{FEFF}id,text,value\n" + (0..<200).map { "\($0),\"row \($0), \"\"quoted\"\"\nnext\",\(Double($0) / 4)" }.joined(separator: "\r\n") + "\r\n"
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("chunks-\(UUID().uuidString).csv").path
        try csv.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let whole = try CSVReader.read(string: csv)
        for chunkSize in [1, 2, 7, 64, 4096] {
            #expect(try CSVReader.read(path: path, options: CSVOptions(chunkSize: chunkSize)) == whole)
        }
        #expect(numbers(whole, "value")?[199] == 49.75)
        #expect(whole.columnNames == ["id", "text", "value"])
    }

    /// Found by the CSV fuzz target: a header tied between two candidate delimiters was split
    /// by whichever a dictionary happened to list first, so one file read two ways.
    @Test func delimiterTiesResolveTheSameWayEveryTime() throws {
        for _ in 0..<20 {
            #expect(try CSVReader.read(string: "a;b\tc").columnNames == ["a", "b\tc"])
            #expect(try CSVReader.read(string: "a\tb;c\nx\ty;z\n").columnNames == ["a\tb", "c"])
        }
    }

    @Test func numberParsingIsExact() throws {
        let values = ["0.1", "1e-7", "123456789012345678", "3.141592653589793", "-0.0", "2.2250738585072014e-308", "9007199254740993", ".5", "7."]
        let table = try CSVReader.read(string: "x\n" + values.joined(separator: "\n") + "\n")
        let parsed = try #require(numbers(table, "x"))
        #expect(parsed == values.map { Double($0 == ".5" ? "0.5" : $0 == "7." ? "7" : $0)! })
    }

    @Test func writerRoundTrips() throws {
        let original = try CSVReader.read(string: "n,s,b,d\n1.5,\"a,\"\"b\"\"\",true,2024-01-02\n,\"x\ny\",,2024-01-02T03:04:05Z\n")
        let again = try CSVReader.read(bytes: CSVWriter.write(original))
        #expect(again == original)
    }
}

@Suite struct RealDatasetTests {
    static let datasets = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("../shared/datasets").standardized

    @Test func penguins() throws {
        let table = try CSVReader.read(path: Self.datasets.appendingPathComponent("penguins.csv").path)
        #expect(table.rowCount == 344)
        let kinds = Dictionary(uniqueKeysWithValues: table.schema.columns.map { ($0.name, $0.kind) })
        #expect(kinds["species"] == .categorical)
        #expect(kinds["island"] == .categorical)
        #expect(kinds["bill_length_mm"] == .numeric)
        #expect(kinds["year"] == .numeric)
        #expect(table.column(named: "sex")?.missingCount == 11)
        #expect(table.schema.columns.first { $0.name == "species" }?.categories?.sorted() == ["Adelie", "Chinstrap", "Gentoo"])
    }

    @Test func crashes() throws {
        let table = try CSVReader.read(path: Self.datasets.appendingPathComponent("crashes.csv").path)
        #expect(table.rowCount == 26_217)
        #expect(table.columns.count == 15)
        let profile = TableProfile(table: table, target: "dead")
        let dead = try #require(profile.columns.first { $0.name == "dead" })
        #expect(dead.kind == .categorical)
        #expect(dead.top?.map(\.value) == ["alive", "dead"])
        #expect(dead.top?.last?.count == 1180)
        #expect(profile.columns.first { $0.name == "caseid" }?.flags.contains(.idLike) == false)
        #expect(dead.histogram == nil)
        let year = try #require(profile.columns.first { $0.name == "yearVeh" })
        #expect(year.histogram?.count == 10)
        #expect(year.histogram?.reduce(0, +) == year.count)
    }

    /// Ten equal-width bins, the maximum in the last; a span wider than Double's range still bins.
    @Test func histogramsBinEveryValue() throws {
        #expect(ColumnProfile.histogram([0, 1, 2, 9.99, 10], from: 0, to: 10) == [1, 1, 1, 0, 0, 0, 0, 0, 0, 2])
        let extreme = ColumnProfile.histogram(
            [-.greatestFiniteMagnitude, 0, .greatestFiniteMagnitude], from: -.greatestFiniteMagnitude, to: .greatestFiniteMagnitude)
        #expect(extreme == [1, 0, 0, 0, 0, 1, 0, 0, 0, 1])
        let constant = try CSVReader.read(string: "x,y\n1,1\n1,2\n")
        #expect(TableProfile(table: constant).columns.map { $0.histogram?.count } == [nil, 10])
    }
}

@Suite struct CategoryEncodingTests {
    /// Enough distinct labels to make the label table grow several times.
    @Test func manyDistinctLabelsKeepTheirCodes() throws {
        let values = (0..<5000).map { "label-\($0 % 1700)" }
        let table = try CSVReader.read(string: "c\n" + values.joined(separator: "\n") + "\n")
        #expect(labels(table, "c")?.compactMap { $0 } == values)
        #expect(table.schema.columns[0].categories?.count == 1700)
    }

    @Test func declaredKindsOverrideInference() throws {
        // A split whose rows of a text column happen to be all digits still reads as text.
        let options = CSVOptions(columnKinds: ["code": .categorical, "flag": .boolean, "when": .dateTime])
        let table = try CSVReader.read(string: "code,flag,when,x\n01,true,2024-01-02,1\n2,,2024-02-03,2\n", options: options)
        #expect(table.schema.columns.map(\.kind) == [.categorical, .boolean, .dateTime, .numeric])
        #expect(labels(table, "code") == ["01", "2"])

        let schema = TableSchema(columns: [ColumnSchema(name: "x", kind: .numeric, nullable: false)])
        #expect(throws: CSVError(.notOfKind(.numeric), line: 3, column: "x")) {
            try CSVReader.read(string: "x\n1\nabc\n", options: .conforming(to: schema))
        }
    }
}
