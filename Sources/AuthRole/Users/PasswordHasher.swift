import HummingbirdBcrypt
import Kernel
import NIOPosix

/// bcrypt on NIO's blocking thread pool: a hash at cost 12 takes ~250 ms and must not stall
/// the event loops or Swift's cooperative pool.
public struct PasswordHasher: Sendable {
    public let cost: Int
    /// A hash of a random password at the same cost. Unknown users are checked against it so
    /// "no such user" takes as long as "wrong password".
    private let decoyHash: String

    public init(cost: Int) async throws {
        self.cost = cost
        let decoy = Settings.randomToken(bytes: 16)
        self.decoyHash = try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(decoy, cost: UInt8(cost)) }
    }

    public func hash(_ password: String) async throws -> String {
        let cost = UInt8(self.cost)
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    public func verify(_ password: String, against hash: String?) async throws -> Bool {
        let target = hash ?? decoyHash
        let matches = try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: target) }
        return matches && hash != nil
    }
}
