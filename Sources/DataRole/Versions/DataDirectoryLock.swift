import Foundation
import Kernel
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The data role's claim on its data directory when it is the only writer (no shared database):
/// an exclusive `flock` on `.mlopsd.lock`, taken at start-up, so a second instance pointed at the
/// same directory refuses to start instead of sweeping away the first one's work. The kernel
/// drops the lock when the process dies, however it dies; a graceful stop releases it at once.
final class DataDirectoryLock: Service, Sendable {
    private let descriptor: Mutex<Int32>

    struct Held: Error, CustomStringConvertible {
        let path: String
        var description: String {
            "\(path) is locked: another mlopsd data role uses this data directory (two need MLOPSD_DATABASE_URL to share it)"
        }
    }

    struct Unopenable: Error, CustomStringConvertible {
        let path: String
        let reason: String
        var description: String { "cannot open \(path): \(reason)" }
    }

    init(root: URL) throws {
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let path = root.appendingPathComponent(".mlopsd.lock").path
        let opened = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard opened >= 0 else { throw Unopenable(path: path, reason: String(cString: strerror(errno))) }
        guard flock(opened, LOCK_EX | LOCK_NB) == 0 else {
            close(opened)
            throw Held(path: path)
        }
        descriptor = Mutex(opened)
    }

    func run() async throws {
        try? await gracefulShutdown()
        release()
    }

    func release() {
        descriptor.withLock { descriptor in
            guard descriptor >= 0 else { return }
            close(descriptor)
            descriptor = -1
        }
    }

    deinit {
        release()
    }
}
