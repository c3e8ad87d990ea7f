import HummingbirdBcrypt
import Kernel
import NIOCore
import NIOPosix

/// bcrypt on NIO's blocking thread pool: a hash at cost 12 takes ~250 ms and must not stall
/// the event loops or Swift's cooperative pool.
///
/// At most one bcrypt per core runs at a time and a few more wait; beyond that callers get 503
/// with `Retry-After`, so a login flood cannot queue unbounded work on the shared pool.
public struct PasswordHasher: Sendable {
    public let cost: Int
    /// A hash of a random password at the same cost. Unknown users are checked against it so
    /// "no such user" takes as long as "wrong password".
    private let decoyHash: String
    private let gate: AdmissionGate

    public init(cost: Int, concurrent: Int = System.coreCount, waiting: Int = 8 * System.coreCount) async throws {
        self.cost = cost
        self.gate = AdmissionGate(running: concurrent, waiting: waiting)
        let decoy = Settings.randomToken(bytes: 16)
        self.decoyHash = try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(decoy, cost: UInt8(cost)) }
    }

    public func hash(_ password: String) async throws -> String {
        let cost = UInt8(self.cost)
        return try await admitted { try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) } }
    }

    public func verify(_ password: String, against hash: String?) async throws -> Bool {
        let target = hash ?? decoyHash
        let matches = try await admitted { try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: target) } }
        return matches && hash != nil
    }

    private func admitted<T: Sendable>(_ work: @Sendable () async throws -> T) async throws -> T {
        do {
            return try await gate.run(work)
        } catch is AdmissionGate.Full {
            throw APIError(
                .serviceUnavailable, code: "busy",
                message: "Too many password checks in progress; try again shortly",
                headers: [.retryAfter: "1"]
            )
        }
    }
}
