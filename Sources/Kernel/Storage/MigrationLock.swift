import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An advisory lock on a file beside the database, held while the process migrates it.
enum MigrationLock {
    struct Failure: Error, CustomStringConvertible {
        let path: String
        let code: Int32
        var description: String { "cannot lock \(path): \(String(cString: strerror(code)))" }
    }

    static func holding<Value>(_ path: String, _ body: () throws -> Value) throws -> Value {
        let descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw Failure(path: path, code: errno) }
        defer { close(descriptor) }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else { throw Failure(path: path, code: errno) }
        }
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }
}
