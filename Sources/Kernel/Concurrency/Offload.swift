import Foundation
import NIOPosix

/// CPU- and disk-bound work (parsing, fitting, hashing) runs on NIO's blocking thread pool, so
/// neither the event loops nor Swift's cooperative pool are held up by it.
public enum Offload {
    public static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(work)
    }
}
