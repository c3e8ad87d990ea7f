import Foundation
import Synchronization

/// Follows a job until it ends, at the pace the server asks for (`Retry-After`), showing progress:
/// a bar that rewrites itself on a terminal, a plain line per change (or every 10 s) otherwise.
/// Ctrl-C stops the waiting; the job goes on unless `cancelOnInterrupt`.
public struct JobWaiter: Sendable {
    let client: APIClient
    let terminal: Terminal

    public init(client: APIClient, terminal: Terminal) {
        self.client = client
        self.terminal = terminal
    }

    /// The finished job record; throws `jobFailed` when it failed or was cancelled.
    public func wait(role: JobRole, jobID: String, firstDelay: Double? = nil, cancelOnInterrupt: Bool) async throws -> JobRecord {
        let interrupted = InterruptSignal()
        defer { interrupted.restore() }
        let started = ContinuousClock.now
        var delay = firstDelay ?? 1
        var lastLine = ""
        var lastPrinted = ContinuousClock.now - .seconds(60)
        while true {
            try await interrupted.sleep(seconds: delay)
            if interrupted.fired {
                if terminal.isInteractive { terminal.endProgress() }
                if cancelOnInterrupt {
                    _ = try? await client.cancelJob(jobID, role: role)
                    throw ClientError.interrupted("interrupted: asked the server to cancel job \(jobID)")
                }
                throw ClientError.interrupted("stopped waiting; job \(jobID) goes on (mlopsd client jobs show \(jobID))")
            }
            let job = try await client.job(jobID, role: role)
            delay = 1
            let progress = job.progress
            let message = Terminal.plain(job.message ?? "")
            let type = job.jobType
            let elapsed = Int((ContinuousClock.now - started).components.seconds)
            let statusName = job.status.rawValue
            if job.status.isFinished {
                if terminal.isInteractive { terminal.endProgress() }
                terminal.status("\(type) \(statusName) after \(elapsed) s")
                guard job.status == .completed else {
                    throw ClientError.jobFailed("job \(jobID) \(statusName): \(Terminal.plain(job.error ?? message))")
                }
                return job
            }
            if terminal.isInteractive {
                let filled = progress / 5
                let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: 20 - filled)
                terminal.progress("[\(bar)] \(String(progress).leftPadded(3))%  \(type)  \(message.prefix(50))  \(elapsed) s")
            } else {
                let line = "\(type) \(statusName) \(progress)% \(message)"
                if line != lastLine || ContinuousClock.now - lastPrinted >= .seconds(10) {
                    terminal.status("\(line) (\(elapsed) s)")
                    lastLine = line
                    lastPrinted = ContinuousClock.now
                }
            }
        }
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}

/// SIGINT while waiting: noted instead of killing the process, so the client can say what
/// happens to the job (and cancel it when asked). The default action returns afterwards.
final class InterruptSignal {
    private final class Flag: Sendable {
        let raised = Mutex<Bool>(false)
    }

    private let flag = Flag()
    private let source: any DispatchSourceSignal

    init() {
        signal(SIGINT, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { [flag] in flag.raised.withLock { $0 = true } }
        source.resume()
    }

    var fired: Bool { flag.raised.withLock { $0 } }

    /// Sleeps, waking early (every 50 ms) once interrupted.
    func sleep(seconds: Double) async throws {
        var remaining = seconds
        while remaining > 0, !fired {
            let step = min(remaining, 0.05)
            try await Task.sleep(for: .milliseconds(Int(step * 1000)))
            remaining -= step
        }
    }

    func restore() {
        source.cancel()
        signal(SIGINT, SIG_DFL)
    }
}
