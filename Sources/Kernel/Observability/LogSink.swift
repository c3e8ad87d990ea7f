import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
    private let systemWrite = Glibc.write
#elseif canImport(Darwin)
    import Darwin
    private let systemWrite = Darwin.write
#endif

/// Where log lines go; tests capture them to check what is (and is not) logged.
///
/// Standard error is written in batches: one `write(2)` per access-log line halved a role's
/// `/health` throughput (docs/benchmarks.md). Lines wait at most
/// `flushInterval` (or until 64 KiB are pending); warnings and errors are written at once,
/// with everything before them, so a crash's cause is never held back. The trade is the one
/// nginx's `access_log … buffer= flush=` makes: a SIGKILL loses at most one interval of info lines.
public final class LogSink: Sendable {
    private enum Destination {
        case descriptor(Int32)
        case memory
    }

    private let destination: Destination
    private let pending = Mutex<[UInt8]>([])
    private let lines = Mutex<[String]>([])
    /// Held while writing, so batches reach the descriptor in the order they were taken.
    private let writing = Mutex<Void>(())
    private let flusherStarted = Mutex<Bool>(false)
    private let flushInterval: TimeInterval
    private static let batchLimit = 64 * 1024

    private init(destination: Destination, flushInterval: TimeInterval = 0.1) {
        self.destination = destination
        self.flushInterval = flushInterval
    }

    public static let standardError = LogSink(destination: .descriptor(STDERR_FILENO))
    public static func capturing() -> LogSink { LogSink(destination: .memory) }

    func write(_ line: [UInt8], immediately: Bool) {
        switch destination {
        case .memory:
            lines.withLock { $0.append(String(decoding: line, as: UTF8.self)) }
        case .descriptor:
            let size = pending.withLock { buffer in
                buffer.append(contentsOf: line)
                buffer.append(UInt8(ascii: "\n"))
                return buffer.count
            }
            if immediately || size >= Self.batchLimit {
                flush()
            } else {
                startFlusherIfNeeded()
            }
        }
    }

    /// Writes every pending line now (at shutdown, and before any warning or error).
    public func flush() {
        guard case .descriptor(let descriptor) = destination else { return }
        writing.withLock { _ in
            let batch = pending.withLock { buffer -> [UInt8] in
                defer { buffer.removeAll(keepingCapacity: true) }
                return buffer
            }
            batch.withUnsafeBytes { bytes in
                guard let start = bytes.baseAddress else { return }
                var offset = 0
                while offset < bytes.count {
                    let written = systemWrite(descriptor, start + offset, bytes.count - offset)
                    if written > 0 {
                        offset += written
                    } else if written < 0 && errno == EINTR {
                        continue
                    } else {
                        return  // nowhere left to report a failing standard error
                    }
                }
            }
        }
    }

    private func startFlusherIfNeeded() {
        let start = flusherStarted.withLock { started in
            defer { started = true }
            return !started
        }
        guard start else { return }
        let interval = flushInterval
        // A plain thread: the flusher must run even when every concurrency thread is busy.
        Thread.detachNewThread { [self] in
            while true {
                Thread.sleep(forTimeInterval: interval)
                flush()
            }
        }
    }

    public var captured: [String] { lines.withLock { $0 } }
}
