// libFuzzer target: the request-body JSON parser of the prediction path. What it accepts must
// survive writing and reading back unchanged, so parser and writer agree on every document.
import NIOCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONParsing(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var buffer = ByteBufferAllocator().buffer(capacity: size)
    buffer.writeBytes(UnsafeRawBufferPointer(start: data, count: size))
    guard let value = try? JSONParser.parse(buffer) else { return 0 }
    let written = value.jsonString()
    guard let reread = try? JSONParser.parse(written) else {
        preconditionFailure("the writer produced JSON the parser refuses: \(written)")
    }
    precondition(reread == value, "a value changed on its way through the writer: \(written)")
    return 0
}
