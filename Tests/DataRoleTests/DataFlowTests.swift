import Foundation
import Hummingbird
import HummingbirdTesting
import Kernel
import MLCore
import MLOpsTesting
import Testing

@Suite struct DataFlowTests {
    /// Version ids are content addresses: two servers given the same bytes and parameters name
    /// the same versions (the processed directory's own hash differs: its manifest records when).
    @Test func versionIDsAreTheSameOnAnyServer() async throws {
        let bytes = try Data(contentsOf: DataHarness.dataset("penguins.csv"))
        var ids: [[String]] = []
        for _ in 0..<2 {
            let harness = try await DataHarness()
            defer { harness.environment.removeFiles() }
            ids.append(
                try await harness.run { client in
                    let dataset = try #require(try await client.uploadCSV(bytes, name: "penguins", token: harness.admin).json()["id"]?.stringValue)
                    let processed = try await client.runJob("preprocess", ["dataset_id": .string(dataset), "target": "species"], token: harness.admin)
                    let processedVersion = try #require(processed["result"]?["version"]?.stringValue)
                    let features = try await client.runJob("build-features", ["processed_version": .string(processedVersion)], token: harness.admin)
                    return [dataset, processedVersion, try #require(features["result"]?["version"]?.stringValue)]
                })
        }
        #expect(ids.count == 2)
        #expect(ids.first == ids.last, "\(ids)")
    }

    @Test func uploadPreprocessAndBuildFeaturesOnPenguins() async throws {
        let harness = try await DataHarness()
        defer { harness.environment.removeFiles() }
        let bytes = try Data(contentsOf: DataHarness.dataset("penguins.csv"))
        try await harness.run { client in
            let upload = try await client.uploadCSV(bytes, name: "penguins", token: harness.admin)
            #expect(upload.status == .created)
            let dataset = try upload.json()
            let id = try #require(dataset["id"]?.stringValue)
            #expect(upload.headers[.location] == "/api/v1/data/datasets/\(id)")
            #expect(dataset["name"] == "penguins")
            #expect(dataset["rows"] == 344)
            #expect(dataset["columns"] == 8)
            #expect(dataset["md5"]?.stringValue == DataVersion.digest(of: bytes).md5)
            #expect(dataset["profile"]?["columns"]?.arrayCount == 8)
            #expect(dataset["schema"]?["columns"]?[2]?["kind"] == "numeric")

            // The raw file, its .dvc file and its cache object, as `dvc add` would leave them.
            let raw = harness.dataDirectory.appendingPathComponent("raw/\(id).csv")
            #expect(try Data(contentsOf: raw) == bytes)
            let dvcText = try String(contentsOf: raw.appendingPathExtension("dvc"), encoding: .utf8)
            #expect(dvcText.contains("md5: \(DataVersion.digest(of: bytes).md5)"))
            #expect(dvcText.contains("path: \(id).csv"))
            let cached = DataVersion.cachePath(
                cacheDirectory: harness.dataDirectory.appendingPathComponent(".dvc/cache").path, md5: DataVersion.digest(of: bytes).md5)
            #expect(FileManager.default.contentsEqual(atPath: cached, andPath: raw.path))

            // Identical bytes: the first registration, not a copy.
            let again = try await client.uploadCSV(bytes, name: "penguins-again", token: harness.admin)
            #expect(again.status == .ok)
            #expect(try again.json()["id"]?.stringValue == id)
            #expect(try again.json()["name"] == "penguins")

            let listed = try await client.send(.get, "/api/v1/data/datasets", token: harness.admin).json()
            #expect(listed["total"] == 1)
            #expect(listed["datasets"]?[0]?["id"]?.stringValue == id)
            #expect(listed["datasets"]?[0]?["profile"] == nil)
            let shown = try await client.send(.get, "/api/v1/data/datasets/\(id)", token: harness.admin)
            #expect(shown.status == .ok)
            #expect(try shown.json()["profile"]?["rows"] == 344)

            let preprocess = try await client.runJob(
                "preprocess",
                [
                    "dataset_id": .string(id), "target": "species", "drop": ["year"], "test_size": 0.25, "seed": 7,
                ], token: harness.admin)
            #expect(preprocess["status"] == "completed", "\(preprocess)")
            #expect(preprocess["progress"] == 100)
            let result = try #require(preprocess["result"])
            let version = try #require(result["version"]?.stringValue)
            #expect(version.hasPrefix("pp-"))
            #expect(result["task"] == "classification")
            #expect(result["reused"] == false)
            let train = try #require(result["train_rows"]?.intValue)
            let test = try #require(result["test_rows"]?.intValue)
            #expect(train + test == 344 - (result["missing_target_rows_dropped"]?.intValue ?? 0) - (result["duplicate_rows_dropped"]?.intValue ?? 0))
            #expect(result["train_class_counts"]?["Adelie"] != nil)
            #expect(result["dropped_columns"]?[0]?["name"] == "year")
            #expect(result["dropped_columns"]?[0]?["reason"] == "requested")

            // The processed version reads back with its own schema and the counts the report gives.
            let directory = harness.dataDirectory.appendingPathComponent("processed/\(version)")
            let schema = try JSONDecoder().decode(TableSchema.self, from: Data(contentsOf: directory.appendingPathComponent("schema.json")))
            let trainTable = try CSVReader.read(path: directory.appendingPathComponent("train.csv").path, options: .conforming(to: schema))
            #expect(trainTable.rowCount == train)
            #expect(trainTable.schema.columns.map(\.kind) == schema.columns.map(\.kind))
            let versionDVC = try String(contentsOf: harness.dataDirectory.appendingPathComponent("processed/\(version).dvc"), encoding: .utf8)
            #expect(versionDVC.contains(".dir"))
            #expect(versionDVC.contains("nfiles: 5"))
            let record = try await client.send(.get, "/api/v1/data/versions/\(version)", token: harness.admin).json()
            #expect(record["kind"] == "processed")
            #expect(record["parent"]?.stringValue == id)
            #expect(record["manifest"]?["inputs"]?[0]?["md5"]?.stringValue == DataVersion.digest(of: bytes).md5)
            #expect(versionDVC.contains(try #require(record["md5"]?.stringValue)))

            // Same dataset, same parameters: the same version, not recomputed.
            let repeated = try await client.runJob(
                "preprocess",
                [
                    "dataset_id": .string(id), "target": "species", "drop": ["year"], "test_size": 0.25, "seed": 7,
                ], token: harness.admin)
            #expect(repeated["result"]?["version"]?.stringValue == version)
            #expect(repeated["result"]?["reused"] == true)

            let features = try await client.runJob(
                "build-features",
                [
                    "processed_version": .string(version), "options": ["encoding": "one_hot", "scale": true, "missing_indicators": true],
                ], token: harness.admin)
            #expect(features["status"] == "completed", "\(features)")
            let featureVersion = try #require(features["result"]?["version"]?.stringValue)
            #expect(featureVersion.hasPrefix("fs-"))
            #expect((features["result"]?["feature_count"]?.intValue ?? 0) > 5)
            let pipelineURL = harness.dataDirectory.appendingPathComponent("features/\(featureVersion)/pipeline.json")
            let pipeline = try JSONDecoder().decode(FeaturePipeline.self, from: Data(contentsOf: pipelineURL))
            #expect(pipeline.target == "species")
            #expect(pipeline.featureNames.contains("island=Biscoe"))
            let featureRecord = try await client.send(.get, "/api/v1/data/versions/\(featureVersion)", token: harness.admin).json()
            // Lineage: features → processed → raw, each with its hash.
            let inputs = try #require(featureRecord["manifest"]?["inputs"])
            #expect(inputs[0]?["id"]?.stringValue == version)
            #expect(inputs[0]?["md5"] == record["md5"])
            #expect(inputs[1]?["id"]?.stringValue == id)
            #expect(inputs[1]?["md5"]?.stringValue == DataVersion.digest(of: bytes).md5)

            let versions = try await client.send(.get, "/api/v1/data/versions?kind=features", token: harness.admin).json()
            #expect(versions["total"] == 1)
            let jobs = try await client.send(.get, "/api/v1/data/jobs?type=preprocess", token: harness.admin).json()
            #expect(jobs["total"] == 2)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: harness.dataDirectory.appendingPathComponent(".staging").path).isEmpty)
    }

    @Test func multipartUploadOfCrashesThroughToFeatures() async throws {
        let harness = try await DataHarness()
        defer { harness.environment.removeFiles() }
        let bytes = try Array(Data(contentsOf: DataHarness.dataset("crashes.csv")))
        try await harness.run { client in
            let upload = try await client.uploadMultipart(bytes, fileName: "NASS crashes (2).csv", token: harness.admin)
            #expect(upload.status == .created, "\(String(buffer: upload.body))")
            let dataset = try upload.json()
            #expect(dataset["name"] == "NASS_crashes_2")
            #expect(dataset["md5"]?.stringValue == DataVersion.digest(of: bytes).md5)
            #expect(dataset["size"]?.intValue == bytes.count)
            let id = try #require(dataset["id"]?.stringValue)

            let named = try await client.uploadMultipart(Array("a,b\n1,x\n2,y\n".utf8), fileName: "t.csv", name: "tiny", token: harness.admin)
            #expect(try named.json()["name"] == "tiny")

            let preprocess = try await client.runJob("preprocess", ["dataset_id": .string(id), "target": "dead", "drop": ["caseid"]], token: harness.admin)
            #expect(preprocess["status"] == "completed", "\(preprocess)")
            let result = try #require(preprocess["result"])
            #expect(result["class_labels"] == ["alive", "dead"])
            // Stratified: the minority share is the same on both sides of the split (to a row).
            let trainDead = try #require(result["train_class_counts"]?["dead"]?.intValue)
            let testDead = try #require(result["test_class_counts"]?["dead"]?.intValue)
            let trainRows = try #require(result["train_rows"]?.intValue)
            let testRows = try #require(result["test_rows"]?.intValue)
            #expect(abs(Double(trainDead) / Double(trainRows) - Double(testDead) / Double(testRows)) < 0.002)

            let features = try await client.runJob(
                "build-features",
                [
                    "processed_version": result["version"] ?? .null, "options": ["encoding": "ordinal", "scale": false, "imbalance": "class_weights"],
                ], token: harness.admin)
            #expect(features["status"] == "completed", "\(features)")
            #expect(features["result"]?["feature_names"]?.arrayCount == 13)
        }
    }

    /// The replaced services' clients start jobs from `{}`: the most recent dataset and the target
    /// it was last preprocessed with, the most recent processed version. Their file-path fields
    /// are refused by name.
    @Test func jobsFromMinimalBodies() async throws {
        let harness = try await DataHarness()
        defer { harness.environment.removeFiles() }
        let penguins = try Array(Data(contentsOf: DataHarness.dataset("penguins.csv")))
        try await harness.run { client in
            let noDataset = try await client.send(.post, "/api/v1/data/preprocess", json: [:], token: harness.admin)
            #expect(noDataset.status == .notFound)
            #expect(try noDataset.json()["error"]?["details"]?[0]?["field"] == "dataset_id")
            let noVersion = try await client.send(.post, "/api/v1/data/build-features", json: [:], token: harness.admin)
            #expect(try noVersion.json()["error"]?["details"]?[0]?["field"] == "processed_version")
            let paths = try await client.send(
                .post, "/api/v1/data/preprocess", json: ["config_path": "config/config.yaml", "raw_data_path": "data/raw/x.csv"], token: harness.admin)
            #expect(paths.status == .unprocessableContent)
            #expect(try paths.json()["error"]?["details"]?[0]?["field"] == "config_path")
            #expect(try paths.json()["error"]?["details"]?[1]?["field"] == "raw_data_path")

            let id = try #require(try await client.uploadCSV(penguins, name: "penguins", token: harness.admin).json()["id"]?.stringValue)
            let noTarget = try await client.send(.post, "/api/v1/data/preprocess", json: [:], token: harness.admin)
            #expect(noTarget.status == .unprocessableContent)
            #expect(try noTarget.json()["error"]?["details"]?[0]?["field"] == "target")

            let first = try await client.runJob("preprocess", ["target": "species", "test_size": 0.25], token: harness.admin)
            #expect(first["status"] == "completed", "\(first)")
            #expect(first["params"]?["dataset_id"]?.stringValue == id)
            // The dataset's target is remembered from its last preprocessing.
            let again = try await client.runJob("preprocess", [:], token: harness.admin)
            #expect(again["status"] == "completed", "\(again)")
            #expect(again["params"]?["target"] == "species")
            let latest = try #require(again["result"]?["version"]?.stringValue)
            let features = try await client.runJob("build-features", [:], token: harness.admin)
            #expect(features["status"] == "completed", "\(features)")
            #expect(features["params"]?["processed_version"]?.stringValue == latest)
        }
    }

    /// MLOPSD_DEFAULT_DATASET (an id or a name) and MLOPSD_DEFAULT_TARGET choose over "most recent".
    @Test func configuredDefaultsChooseTheDatasetAndTarget() async throws {
        let harness = try await DataHarness(overrides: ["MLOPSD_DEFAULT_DATASET": "penguins", "MLOPSD_DEFAULT_TARGET": "island"])
        defer { harness.environment.removeFiles() }
        let penguins = try Array(Data(contentsOf: DataHarness.dataset("penguins.csv")))
        try await harness.run { client in
            let id = try #require(try await client.uploadCSV(penguins, name: "penguins", token: harness.admin).json()["id"]?.stringValue)
            #expect(try await client.uploadCSV(Array("a,b\n1,x\n2,y\n3,x\n".utf8), name: "newer", token: harness.admin).status == .created)
            let job = try await client.runJob("preprocess", [:], token: harness.admin)
            #expect(job["status"] == "completed", "\(job)")
            #expect(job["params"]?["dataset_id"]?.stringValue == id)
            #expect(job["params"]?["target"] == "island")
        }
    }
}
