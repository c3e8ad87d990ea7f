// libFuzzer target: model bundle decoding, as a predict replica meets a bundle from disk or the
// database. A bundle that decodes has passed validation, so predicting with it must not trap,
// whatever the records hold.
import Foundation

@testable import MLCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBundleDecoding(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // Tree blocks reach their decoder only through a deflated body, which a mutation rarely gets
    // past intact: blocks (the corpus's `MLTR` inputs) are decoded directly too.
    for width in 1...3 {
        for tree in (try? CompactTrees.decode(bytes, leafWidth: width)) ?? [] {
            _ = try? tree.validate(featureCount: 16, leafWidth: width, name: "fuzzed")
        }
    }
    guard let bundle = try? ModelBundle.load(from: Data(bytes)) else { return 0 }
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
