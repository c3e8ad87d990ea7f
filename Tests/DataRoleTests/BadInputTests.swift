import Foundation
import Hummingbird
import HummingbirdTesting
import Kernel
import MLOpsTesting
import Testing

/// Every bad input answers 4xx with the error envelope naming the field, and loses nothing stored.
@Suite struct BadInputTests {
    static func problem(_ response: TestResponse) throws -> (field: String?, problem: String?) {
        let detail = try response.json()["error"]?["details"]?[0]
        return (detail?["field"]?.stringValue, detail?["problem"]?.stringValue)
    }

    @Test func badUploadsAreRefusedAndKeepWhatWasStored() async throws {
        let harness = try await DataHarness(overrides: ["MLOPSD_MAX_UPLOAD_BYTES": "4096"])
        defer { harness.environment.removeFiles() }
        try await harness.run { client in
            let good = try await client.uploadCSV(Array("a,b,label\n1,2,x\n3,4,y\n5,6,x\n".utf8), name: "good", token: harness.admin)
            #expect(good.status == .created)
            let goodID = try #require(try good.json()["id"]?.stringValue)

            let cases: [(String, [UInt8], String?, HTTPResponse.Status, String?, String)] = [
                ("empty", [], nil, .unprocessableContent, "file", "empty"),
                ("binary", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D], nil, .unprocessableContent, "file", "binary"),
                ("ragged", Array("a,b\n1,2\n3\n".utf8), nil, .unprocessableContent, "file", "line 3: expected 2 fields, found 1"),
                ("duplicate header", Array("a,b,a\n1,2,3\n".utf8), nil, .unprocessableContent, "file", "duplicate column name 'a'"),
                ("header only", Array("a,b\n".utf8), nil, .unprocessableContent, "file", "no data rows"),
                ("invalid UTF-8", Array("a,b\n1,\u{FF}\n".utf8.map { $0 == 0xC3 ? 0xFF : $0 }), nil, .unprocessableContent, "file", "UTF-8"),
                ("path name", Array("a,b\n1,2\n".utf8), "../../etc/passwd", .unprocessableContent, "name", "no paths"),
                ("too large", Array(repeating: UInt8(ascii: "1"), count: 5000), nil, .contentTooLarge, nil, ""),
            ]
            for (label, bytes, name, status, field, problem) in cases {
                let response = try await client.uploadCSV(bytes, name: name, token: harness.admin)
                #expect(response.status == status, "\(label): \(String(buffer: response.body))")
                #expect(response.errorCode != nil, "\(label): no error envelope")
                let detail = try Self.problem(response)
                #expect(detail.field == field, "\(label)")
                #expect(detail.problem?.contains(problem) ?? problem.isEmpty, "\(label): \(detail.problem ?? "-")")
            }

            let wrongType = try await client.uploadCSV(Array("a\n1\n".utf8), token: harness.admin, contentType: "application/json")
            #expect(wrongType.status == .unsupportedMediaType)
            let noFile = try await client.execute(
                uri: "/api/v1/data/datasets", method: .post,
                headers: [.contentType: "multipart/form-data; boundary=XyZ", .authorization: "Bearer \(harness.admin)"],
                body: ByteBuffer(string: "--XyZ\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nx\r\n--XyZ--\r\n")
            )
            #expect(noFile.status == .unprocessableContent)
            #expect(try Self.problem(noFile).field == "file")
            // Found by the multipart fuzz target: a non-ASCII byte in a part's header name
            // trapped the parser the role used, taking the process down; truncated bodies
            // were accepted as if complete.
            for (label, body) in [
                ("non-ASCII header name", "--XyZ\r\nCont\u{E5}nt-Disposition: form-data; name=\"file\"\r\n\r\na\n1\n\r\n--XyZ--\r\n"),
                ("no closing boundary", "--XyZ\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\na\n1\n"),
            ] {
                let malformed = try await client.execute(
                    uri: "/api/v1/data/datasets", method: .post,
                    headers: [.contentType: "multipart/form-data; boundary=XyZ", .authorization: "Bearer \(harness.admin)"],
                    body: ByteBuffer(string: body)
                )
                #expect(malformed.status == .badRequest, "\(label)")
                #expect(malformed.errorCode == "malformed_multipart", "\(label)")
            }
            let noBoundary = try await client.uploadCSV(Array("a\n1\n".utf8), token: harness.admin, contentType: "multipart/form-data")
            #expect(noBoundary.status == .badRequest)

            let asUser = try await client.uploadCSV(Array("a,b\n1,2\n".utf8), token: harness.user)
            #expect(asUser.status == .forbidden)
            let anonymous = try await client.uploadCSV(Array("a,b\n1,2\n".utf8), token: nil)
            #expect(anonymous.status == .unauthorized)
            #expect(try await client.send(.get, "/api/v1/data/datasets", token: harness.user).status == .forbidden)
            #expect(try await client.send(.get, "/api/v1/data/jobs").status == .unauthorized)

            let listed = try await client.send(.get, "/api/v1/data/datasets", token: harness.admin).json()
            #expect(listed["total"] == 1)
            #expect(listed["datasets"]?[0]?["id"]?.stringValue == goodID)
            let unknown = try await client.send(.get, "/api/v1/data/datasets/ds-nope", token: harness.admin)
            #expect(unknown.status == .notFound)
        }
        // Only the good upload's file and its .dvc remain; nothing is left in staging.
        let raw = try FileManager.default.contentsOfDirectory(atPath: harness.dataDirectory.appendingPathComponent("raw").path)
        #expect(raw.filter { !$0.hasPrefix(".") }.count == 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: harness.dataDirectory.appendingPathComponent(".staging").path).isEmpty)
    }

    @Test func badJobRequestsNameTheField() async throws {
        let harness = try await DataHarness()
        defer { harness.environment.removeFiles() }
        try await harness.run { client in
            let csv =
                "id,x,city,all_missing,one_class,label\n"
                + (1...40).map { "\($0),\($0 % 7),c\($0 % 3),,same,\($0 % 2 == 0 ? "yes" : "no")" }.joined(separator: "\n") + "\n"
            let upload = try await client.uploadCSV(Array(csv.utf8), name: "toy", token: harness.admin)
            let id = try #require(try upload.json()["id"]?.stringValue)

            let cases: [(String, JSONValue, HTTPResponse.Status, String, String)] = [
                ("missing target", ["dataset_id": .string(id)], .unprocessableContent, "target", "no default for \(id)"),
                ("unknown target", ["dataset_id": .string(id), "target": "nope"], .unprocessableContent, "target", "no column named 'nope'"),
                ("all-missing target", ["dataset_id": .string(id), "target": "all_missing"], .unprocessableContent, "target", "every value"),
                ("single class", ["dataset_id": .string(id), "target": "one_class"], .unprocessableContent, "target", "single value"),
                ("test size", ["dataset_id": .string(id), "target": "label", "test_size": 1.5], .unprocessableContent, "test_size", "between 0 and 1"),
                (
                    "unknown drop", ["dataset_id": .string(id), "target": "label", "drop": ["x", "zzz"]], .unprocessableContent, "drop[1]",
                    "no column named 'zzz'"
                ),
                (
                    "drop target", ["dataset_id": .string(id), "target": "label", "drop": ["label"]], .unprocessableContent, "drop",
                    "must not contain the target"
                ),
                ("regression on text", ["dataset_id": .string(id), "target": "label", "task": "regression"], .unprocessableContent, "task", "numeric target"),
                ("wrong type", ["dataset_id": .string(id), "target": "label", "seed": "abc"], .unprocessableContent, "seed", "expected"),
                ("unknown dataset", ["dataset_id": "ds-0000", "target": "label"], .notFound, "dataset_id", "does not exist"),
            ]
            for (label, body, status, field, problem) in cases {
                let response = try await client.send(.post, "/api/v1/data/preprocess", json: body, token: harness.admin)
                #expect(response.status == status, "\(label): \(String(buffer: response.body))")
                let detail = try Self.problem(response)
                #expect(detail.field == field, "\(label): \(String(buffer: response.body))")
                #expect(detail.problem?.contains(problem) == true, "\(label): \(detail.problem ?? "-")")
            }
            let malformed = try await client.execute(
                uri: "/api/v1/data/preprocess", method: .post,
                headers: [.contentType: "application/json", .authorization: "Bearer \(harness.admin)"], body: ByteBuffer(string: "{\"dataset_id\":")
            )
            #expect(malformed.status == .badRequest)

            let unknownVersion = try await client.send(.post, "/api/v1/data/build-features", json: ["processed_version": "pp-nope"], token: harness.admin)
            #expect(unknownVersion.status == .notFound)
            #expect(try Self.problem(unknownVersion).field == "processed_version")
            let badOptions = try await client.send(
                .post, "/api/v1/data/build-features",
                json: [
                    "processed_version": "pp-nope", "options": ["max_categories": 0],
                ], token: harness.admin)
            #expect(badOptions.status == .unprocessableContent)
            #expect(try Self.problem(badOptions).field == "options.max_categories")
            let badEncoding = try await client.send(
                .post, "/api/v1/data/build-features",
                json: [
                    "processed_version": "pp-nope", "options": ["encoding": "hash"],
                ], token: harness.admin)
            #expect(badEncoding.status == .unprocessableContent)
            #expect(try Self.problem(badEncoding).field == "options.encoding")
            #expect(
                try await client.send(.post, "/api/v1/data/preprocess", json: ["dataset_id": .string(id), "target": "label"], token: harness.user).status
                    == .forbidden)
            #expect(try await client.send(.get, "/api/v1/data/versions?kind=raw", token: harness.admin).status == .unprocessableContent)

            // No job was queued by any of them; a good request still works afterwards.
            #expect(try await client.send(.get, "/api/v1/data/jobs", token: harness.admin).json()["total"] == 0)
            let job = try await client.runJob("preprocess", ["dataset_id": .string(id), "target": "label", "drop": ["id"]], token: harness.admin)
            #expect(job["status"] == "completed", "\(job)")
            // The all-missing and constant columns were dropped, and the report says why.
            let dropped = job["result"]?["dropped_columns"]
            #expect(dropped?[1]?["name"] == "all_missing")
            #expect(dropped?[1]?["reason"] == "too_many_missing")
            #expect(dropped?[2]?["name"] == "one_class")
            #expect(dropped?[2]?["reason"] == "constant")
        }
    }

    @Test func aJobThatFailsStoresAReadableErrorAndPublishesNothing() async throws {
        let harness = try await DataHarness()
        defer { harness.environment.removeFiles() }
        try await harness.run { client in
            // Three usable rows: valid as a request, too few to split.
            let upload = try await client.uploadCSV(Array("x,label\n1,a\n2,b\n3,a\n,\n".utf8), name: "tiny", token: harness.admin)
            let id = try #require(try upload.json()["id"]?.stringValue)
            let job = try await client.runJob("preprocess", ["dataset_id": .string(id), "target": "label"], token: harness.admin)
            #expect(job["status"] == "failed")
            #expect(job["error"]?.stringValue?.contains("at least 4 are needed") == true, "\(job)")
            #expect(try await client.send(.get, "/api/v1/data/versions", token: harness.admin).json()["total"] == 0)
        }
        let processed = try FileManager.default.contentsOfDirectory(atPath: harness.dataDirectory.appendingPathComponent("processed").path)
        #expect(processed.isEmpty)
    }
}
