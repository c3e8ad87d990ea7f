// libFuzzer target: the CSV tokenizer, type inference and profiling, as an uploaded file meets
// them. The first input byte picks the options and the chunk size; the same bytes read whole and
// read in chunks must give the same table, so chunk boundaries cannot change what a file means.
@testable import MLCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSVReading(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let control = data[0]
    let bytes = UnsafeBufferPointer(start: data + 1, count: size - 1)
    let delimiters: [UInt8?] = [nil, UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "\t")]
    let options = CSVOptions(
        delimiter: delimiters[Int(control & 0x3)],
        decimalComma: control & 0x4 == 0 ? nil : true,
        inferTypes: control & 0x8 == 0,
        maxFields: 100_000
    )
    let chunkSize = Int(control >> 4) + 1

    let whole = Result { () throws(CSVError) in try CSVReader.read(bytes: bytes, options: options) }
    var streaming = StreamingReader(options: options, estimatedBytes: bytes.count)
    let chunked = Result { () throws(CSVError) -> Table in
        var start = 0
        while start < bytes.count {
            let end = min(start + chunkSize, bytes.count)
            try streaming.consume(UnsafeBufferPointer(rebasing: bytes[start..<end]))
            start = end
        }
        return try streaming.finish()
    }
    switch (whole, chunked) {
    case (.success(let a), .success(let b)):
        precondition(a == b, "chunked reading changed the table")
        _ = TableProfile(table: a, target: a.columns.last?.name)
    case (.failure, .failure):
        break
    default:
        preconditionFailure("chunked reading disagrees with whole reading: \(whole) vs \(chunked)")
    }
    return 0
}
