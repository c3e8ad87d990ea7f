// libFuzzer target: multipart/form-data uploads through `MultipartForm`. The first input byte
// picks the slice size the body arrives in; read in slices or whole, a body must give the same
// file, names and verdict, so where the network splits a body cannot change what was uploaded.
import NIOCore

private struct Outcome: Equatable {
    var file: [UInt8] = []
    var name: String?
    var fileName: String?
    var problem: MultipartForm.Problem?
}

private func read(_ body: UnsafeRawBufferPointer, sliceSize: Int) -> Outcome {
    var outcome = Outcome()
    let form = MultipartForm(boundary: "fuzz") { outcome.file.append(contentsOf: $0) }
    do throws(MultipartForm.Problem) {
        var start = 0
        while start < body.count {
            let end = min(start + sliceSize, body.count)
            var slice = ByteBufferAllocator().buffer(capacity: end - start)
            slice.writeBytes(UnsafeRawBufferPointer(rebasing: body[start..<end]))
            try form.consume(slice)
            start = end
        }
        outcome.name = try form.finish()
    } catch {
        outcome.problem = error
    }
    outcome.fileName = form.fileName
    return outcome
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMultipartParsing(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let body = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    let sliced = read(body, sliceSize: Int(data[0]) + 1)
    let whole = read(body, sliceSize: max(body.count, 1))
    precondition(sliced.file.count <= body.count, "the file part is longer than the body")
    if sliced.problem == nil, whole.problem == nil {
        precondition(sliced == whole, "slicing the body changed the upload")
    } else {
        precondition((sliced.problem == nil) == (whole.problem == nil), "slicing the body changed the verdict")
    }
    return 0
}
