// libFuzzer target: model bundle decoding, as a predict replica meets a bundle from disk or the
// database. A bundle that decodes has passed validation, so predicting with it must not trap,
// whatever the records hold.
import Foundation
import MLCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBundleDecoding(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let bundle = try? ModelBundle.load(from: Data(bytes: data, count: size)) else { return 0 }
    let columns = bundle.pipeline.inputSchema
    let probes: [RawValue] = [.null, .number(0), .number(-1e300), .number(.nan), .bool(true), .string(""), .string("café")]
    var records: [[String: RawValue]] = probes.map { probe in
        Dictionary(columns.map { ($0.name, probe) }, uniquingKeysWith: { first, _ in first })
    }
    records.append(Dictionary(columns.map { ($0.name, .string($0.categories?.first ?? "x")) }, uniquingKeysWith: { first, _ in first }))
    records.append([:])
    _ = bundle.predict(records: records)
    return 0
}
