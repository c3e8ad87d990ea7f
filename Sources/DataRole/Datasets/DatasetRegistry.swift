import Foundation
import Hummingbird
import Kernel
import Logging
import MLCore

/// Turns uploads into registered datasets: stream to staging, hash, parse and profile off the
/// event loop, then publish under `raw/` with its `.dvc` file, and record it.
struct DatasetRegistry: Sendable {
    let catalog: any DataCatalog
    let workspace: DataWorkspace
    let uploadLimit: Int
    let fieldLimit: Int
    /// Parsing holds the whole file in memory (about 8 bytes per field plus the typed columns):
    /// two at a time, a few more waiting, and a 503 beyond, so parallel uploads cannot multiply
    /// that without bound.
    let parses: AdmissionGate
    let logger: Logger

    func upload(_ request: Request, uploadedBy: String) async throws -> (dataset: Dataset, created: Bool) {
        let explicitName = try request.uri.queryParameters.get("name").map { try DatasetName.validated($0) }
        let received = try await UploadReceiver.receive(request, into: workspace.stagingFile(extension: "csv"), limit: uploadLimit)
        let sink = received.sink
        do {
            let name = try explicitName ?? received.name.map(DatasetName.validated) ?? DatasetName.derived(fromFileName: received.fileName)
            guard received.digest.size > 0 else { throw APIError.validation(field: "file", problem: "the file is empty") }
            if let existing = try await catalog.dataset(id: Dataset.id(forMD5: received.digest.md5)), existing.md5 == received.digest.md5 {
                sink.discard()
                return (existing, false)
            }
            let path = workspace.relativePath(of: workspace.rawDirectory.appendingPathComponent("\(Dataset.id(forMD5: received.digest.md5)).csv"))
            let digest = received.digest
            let url = sink.url
            let dataset: Dataset
            do {
                dataset = try await parses.run {
                    let table = try await Self.parse(url, maxFields: fieldLimit)
                    // Profiling reads every value once more: also off the event loop.
                    return try await Offload.run { Dataset(name: name, digest: digest, table: table, path: path, uploadedBy: uploadedBy) }
                }
            } catch is AdmissionGate.Full {
                throw APIError(
                    .serviceUnavailable, code: "busy", message: "Too many uploads are being parsed; try again shortly",
                    headers: [.retryAfter: "5"]
                )
            }
            _ = try workspace.publishRawFile(sink.url, datasetID: dataset.id, digest: received.digest)
            FaultPoint.uploadPublished.reached()
            let registered = try await catalog.register(dataset)
            if registered.created {
                logger.info("dataset registered", metadata: ["dataset_id": "\(dataset.id)", "rows": "\(dataset.rows)", "bytes": "\(dataset.size)"])
            }
            return registered
        } catch {
            sink.discard()
            throw error
        }
    }

    /// Parses with MLCore on a thread pool: a large CSV must not stall the event loop.
    static func parse(_ url: URL, maxFields: Int) async throws -> Table {
        let result = try await Offload.run { () -> Result<Table, CSVError> in
            Result { () throws(CSVError) in try CSVReader.read(path: url.path, options: CSVOptions(maxFields: maxFields)) }
        }
        switch result {
        case .success(let table):
            guard table.rowCount > 0 else {
                throw APIError.validation(field: "file", problem: "the CSV has a header but no data rows")
            }
            return table
        case .failure(let error):
            throw APIError.validation(field: "file", problem: error.description)
        }
    }
}
