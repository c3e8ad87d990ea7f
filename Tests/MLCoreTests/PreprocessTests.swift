import MLCore
import Testing

@Suite struct PreprocessTests {
    static let csv = """
        id,label,x,mostly_missing,constant,city
        1,yes,1.0,,k,Paris
        2,no,2.0,,k,Lyon
        3,yes,3.0,5,k,Paris
        3,yes,3.0,5,k,Paris
        4,,4.0,,k,Nice
        5,no,5.0,,k,Lyon
        6,yes,6.0,,k,Paris
        7,no,7.0,,k,Nice
        8,yes,8.0,,k,Lyon
        9,no,9.0,,k,Paris
        10,yes,10.0,,k,Nice
        11,no,11.0,,k,Lyon

        """

    @Test func dropsWhatCannotHelpAndReportsWhy() throws {
        let table = try CSVReader.read(string: Self.csv)
        let result = try Preprocessor.run(table, spec: PreprocessSpec(target: "label", drop: ["id"], testSize: 0.25, seed: 7))
        let report = result.report
        #expect(report.rowsIn == 12)
        #expect(report.duplicateRowsDropped == 1)
        #expect(report.missingTargetRowsDropped == 1)
        #expect(
            report.droppedColumns == [
                DroppedColumn(name: "id", reason: .requested),
                DroppedColumn(name: "mostly_missing", reason: .tooManyMissing, detail: "90% missing"),
                DroppedColumn(name: "constant", reason: .constant),
            ])
        #expect(report.task == .classification)
        #expect(report.classLabels == ["no", "yes"])
        #expect(result.train.columnNames == ["label", "x", "city"])
        #expect(report.trainRows + report.testRows == 10)
        #expect(report.testRows == 3)
        #expect(report.testClassCounts?.values.reduce(0, +) == 3)
    }

    @Test func splitIsStratifiedAndSeeded() throws {
        let table = try CSVReader.read(path: RealDatasetTests.datasets.appendingPathComponent("crashes.csv").path)
        let spec = PreprocessSpec(target: "dead", drop: ["caseid", "injSeverity"])
        let result = try Preprocessor.run(table, spec: spec)
        let report = result.report
        let rows = report.trainRows + report.testRows
        #expect(report.testRows == Int((Double(rows) * 0.3).rounded(.up)))
        let trainShare = Double(report.trainClassCounts!["dead"]!) / Double(report.trainRows)
        let testShare = Double(report.testClassCounts!["dead"]!) / Double(report.testRows)
        #expect(abs(trainShare - testShare) < 0.001)
        // Same seed, same split; another seed, another split.
        let again = try Preprocessor.run(table, spec: spec)
        #expect(again.test == result.test)
        var other = spec
        other.seed = 43
        #expect(try Preprocessor.run(table, spec: other).test != result.test)
    }

    @Test func detectsTheTask() throws {
        let table = try CSVReader.read(string: "a,b,c,d\n1,1.5,x,true\n2,2.5,y,false\n1,3.5,x,true\n2,4.5,y,false\n")
        #expect(try Preprocessor.detectTask(table.column(named: "a")!) == .classification)
        #expect(try Preprocessor.detectTask(table.column(named: "b")!) == .regression)
        #expect(try Preprocessor.detectTask(table.column(named: "c")!) == .classification)
        #expect(try Preprocessor.detectTask(table.column(named: "d")!) == .classification)
        let forced = try Preprocessor.run(table, spec: PreprocessSpec(target: "a", task: .regression, testSize: 0.5))
        #expect(forced.report.task == .regression)
        #expect(forced.report.classLabels == nil)
    }

    @Test func badSpecsNameTheField() throws {
        let table = try CSVReader.read(string: Self.csv)
        #expect(throws: PreprocessError.unknownColumn(field: "target", name: "nope")) { try Preprocessor.run(table, spec: PreprocessSpec(target: "nope")) }
        #expect(throws: PreprocessError.unknownColumn(field: "drop", name: "ghost")) {
            try Preprocessor.run(table, spec: PreprocessSpec(target: "label", drop: ["ghost"]))
        }
        #expect(throws: PreprocessError.invalidSpec(field: "test_size", problem: "must be strictly between 0 and 1")) {
            try Preprocessor.run(table, spec: PreprocessSpec(target: "label", testSize: 1.5))
        }
        #expect(throws: PreprocessError.singleClass("k")) { try Preprocessor.run(table, spec: PreprocessSpec(target: "constant")) }
    }
}
