import Foundation
import MLCore

/// `mlopsd-bench`: timings of MLCore's hot paths, printed as one JSON object per case so
/// `bench/run.sh` can set them beside the Python peers measured in the same run.
@main
enum BenchMain {
    static func main() throws {
        let arguments = CommandLine.arguments.dropFirst()
        guard let suite = arguments.first else {
            FileHandle.standardError.write(Data("usage: mlopsd-bench csv FILE [ITERATIONS]\n".utf8))
            exit(2)
        }
        switch suite {
        case "csv":
            let file = arguments.dropFirst().first ?? "../shared/datasets/diamonds.csv"
            let iterations = arguments.dropFirst(2).first.flatMap { Int($0) } ?? 20
            var rows = 0
            let timing = try measure(iterations: iterations) {
                rows = try CSVReader.read(path: file).rowCount
            }
            report(name: "csv_read_infer", file: file, rows: rows, timing: timing)
        case "fit":
            // fit FILE TARGET DROP(comma list or -) MODEL [PARAMS-JSON]
            let rest = Array(arguments.dropFirst())
            guard rest.count >= 4 else {
                FileHandle.standardError.write(Data("usage: mlopsd-bench fit FILE TARGET DROP MODEL [PARAMS]\n".utf8))
                exit(2)
            }
            let drop = rest[2] == "-" ? [] : rest[2].split(separator: ",").map(String.init)
            let spec = PreprocessSpec(target: rest[1], drop: drop)
            let split = try Preprocessor.run(try CSVReader.read(path: rest[0]), spec: spec)
            let request = Trainer.Request(modelType: rest[3], parameters: rest.count > 4 ? Data(rest[4].utf8) : nil, dataVersion: "bench")
            // One warm-up, then the median fit time of three trainings.
            var runs: [TrainedModel] = []
            for _ in 0..<4 { runs.append(try Trainer.train(request, split: split, target: rest[1])) }
            var trained = runs[1...].sorted { $0.fitSeconds < $1.fitSeconds }[1]
            trained.metrics = runs[0].metrics
            let metrics = trained.metrics.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\(String(format: "%.6f", $0.value))" }
            print(
                "{\"name\":\"fit\",\"model\":\"\(rest[3])\",\"file\":\"\(URL(fileURLWithPath: rest[0]).lastPathComponent)\",\"fit_seconds\":\(String(format: "%.4f", trained.fitSeconds)),\(metrics.joined(separator: ","))}"
            )
        case "predict":
            // predict FILE TARGET DROP MODEL: single-record latency and batch throughput from a bundle.
            let (rest, split, trained) = try trainDefaults(suite, Array(arguments.dropFirst()))
            let bundle = try ModelBundle.load(from: trained.bundle.fileData())
            let inputs = split.test.columns.filter { $0.name != rest[1] }
            let records: [[String: RawValue]] = (0..<split.test.rowCount).map { row in
                Dictionary(uniqueKeysWithValues: inputs.map { ($0.name, RawValue(column: $0, row: row)) })
            }
            let single = try measure(iterations: 2000) { _ = bundle.predict(records: [records[0]]) }
            let batch = try measure(iterations: 10) { _ = bundle.predict(records: records) }
            print(
                "{\"name\":\"predict\",\"model\":\"\(rest[3])\",\"file\":\"\(URL(fileURLWithPath: rest[0]).lastPathComponent)\",\"single_us\":\(String(format: "%.2f", single.median * 1000)),\"batch_rows\":\(records.count),\"batch_rows_per_second\":\(String(format: "%.0f", Double(records.count) / (batch.median / 1000)))}"
            )
        case "bundle":
            // bundle FILE TARGET DROP MODEL: file size and load time of both bundle forms.
            let (rest, _, trained) = try trainDefaults(suite, Array(arguments.dropFirst()))
            let json = try trained.bundle.fileData(.json)
            let compact = try trained.bundle.fileData()
            let loadJSON = try measure(iterations: 10) { _ = try ModelBundle.load(from: json) }
            let loadCompact = try measure(iterations: 10) { _ = try ModelBundle.load(from: compact) }
            let writeJSON = try measure(iterations: 10) { _ = try trained.bundle.fileData(.json) }
            let writeCompact = try measure(iterations: 10) { _ = try trained.bundle.fileData() }
            let fields = [
                "\"name\":\"bundle\"", "\"model\":\"\(rest[3])\"", "\"file\":\"\(URL(fileURLWithPath: rest[0]).lastPathComponent)\"",
                "\"json_bytes\":\(json.count)", "\"compact_bytes\":\(compact.count)",
                "\"json_load_ms\":\(String(format: "%.2f", loadJSON.median))", "\"compact_load_ms\":\(String(format: "%.2f", loadCompact.median))",
                "\"json_write_ms\":\(String(format: "%.2f", writeJSON.median))", "\"compact_write_ms\":\(String(format: "%.2f", writeCompact.median))",
            ]
            print("{" + fields.joined(separator: ",") + "}")
        default:
            FileHandle.standardError.write(Data("unknown suite '\(suite)'\n".utf8))
            exit(2)
        }
    }

    /// FILE TARGET DROP MODEL: the file preprocessed and the model trained with its defaults.
    static func trainDefaults(_ suite: String, _ rest: [String]) throws -> (rest: [String], split: PreprocessResult, trained: TrainedModel) {
        guard rest.count >= 4 else {
            FileHandle.standardError.write(Data("usage: mlopsd-bench \(suite) FILE TARGET DROP MODEL\n".utf8))
            exit(2)
        }
        let drop = rest[2] == "-" ? [] : rest[2].split(separator: ",").map(String.init)
        let split = try Preprocessor.run(try CSVReader.read(path: rest[0]), spec: PreprocessSpec(target: rest[1], drop: drop))
        let trained = try Trainer.train(Trainer.Request(modelType: rest[3], dataVersion: "bench"), split: split, target: rest[1])
        return (rest, split, trained)
    }

    struct Timing {
        var median: Double
        var minimum: Double
    }

    /// One warm-up run, then `iterations` timed runs; milliseconds.
    static func measure(iterations: Int, _ body: () throws -> Void) throws -> Timing {
        try body()
        var samples: [Double] = []
        let clock = ContinuousClock()
        for _ in 0..<iterations {
            let elapsed = try clock.measure(body)
            samples.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)
        }
        samples.sort()
        return Timing(median: samples[samples.count / 2], minimum: samples[0])
    }

    static func report(name: String, file: String, rows: Int, timing: Timing) {
        let fields = [
            "\"name\":\"\(name)\"",
            "\"implementation\":\"mlopsd\"",
            "\"file\":\"\(URL(fileURLWithPath: file).lastPathComponent)\"",
            "\"rows\":\(rows)",
            "\"median_ms\":\(String(format: "%.3f", timing.median))",
            "\"min_ms\":\(String(format: "%.3f", timing.minimum))",
        ]
        print("{" + fields.joined(separator: ",") + "}")
    }
}
