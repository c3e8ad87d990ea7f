import Foundation
import GRDB
import Kernel
import MLOpsTesting
import Testing

@testable import AuthRole

/// Accounts and refresh tokens behave the same in SQLite (one auth process) and in PostgreSQL
/// (auth replicas sharing one database).
extension StoreBackend {
    func withAuthStores(_ body: (any UserStore, any RefreshTokenStore) async throws -> Void) async throws {
        switch self {
        case .sqlite:
            let migrations: (inout DatabaseMigrator) -> Void = { migrator in
                SQLiteUserStore.registerMigrations(&migrator)
                SQLiteRefreshTokenStore.registerMigrations(&migrator)
                SQLiteLoginAttemptStore.registerMigrations(&migrator)
            }
            try await Self.withSQLite(migrations: migrations) { database in
                try await body(SQLiteUserStore(database: database), SQLiteRefreshTokenStore(database: database))
            }
        case .postgres:
            try await Self.withPostgres(migrations: PostgresUserStore.migrations + PostgresRefreshTokenStore.migrations) { database, logger in
                try await body(PostgresUserStore(database: database, logger: logger), PostgresRefreshTokenStore(database: database, logger: logger))
            }
        }
    }

    func withLoginAttempts(_ body: (any LoginAttemptStore) async throws -> Void) async throws {
        switch self {
        case .sqlite:
            try await Self.withSQLite(migrations: SQLiteLoginAttemptStore.registerMigrations) { database in
                try await body(SQLiteLoginAttemptStore(database: database))
            }
        case .postgres:
            try await Self.withPostgres(migrations: PostgresLoginAttemptStore.migrations) { database, logger in
                try await body(PostgresLoginAttemptStore(database: database, logger: logger))
            }
        }
    }
}

extension StoreBackend {
    func withPasswordResets(_ body: (any PasswordResetStore) async throws -> Void) async throws {
        switch self {
        case .sqlite:
            try await Self.withSQLite(migrations: SQLitePasswordResetStore.registerMigrations) { database in
                try await body(SQLitePasswordResetStore(database: database))
            }
        case .postgres:
            try await Self.withPostgres(migrations: PostgresPasswordResetStore.migrations) { database, logger in
                try await body(PostgresPasswordResetStore(database: database, logger: logger))
            }
        }
    }

    func withRevocationLedger(_ body: (any RevocationLedger) async throws -> Void) async throws {
        switch self {
        case .sqlite:
            try await Self.withSQLite(migrations: SQLiteRevocationLedger.registerMigrations) { database in
                try await body(SQLiteRevocationLedger(database: database))
            }
        case .postgres:
            try await Self.withPostgres(migrations: PostgresRevocationLedger.migrations) { database, logger in
                try await body(PostgresRevocationLedger(database: database, logger: logger))
            }
        }
    }
}

@Suite struct AuthStoreContractTests {
    /// A reset token is spent once and only before it expires; spending one withdraws the account's
    /// others; an account keeps at most five outstanding.
    @Test(arguments: StoreBackend.available)
    func resetTokensAreSingleUseAndShortLived(_ backend: StoreBackend) async throws {
        try await backend.withPasswordResets { resets in
            let now = Date()
            let later = now.addingTimeInterval(600)
            try await resets.issue(digest: "a1", username: "Alice", expiresAt: later)
            try await resets.issue(digest: "a2", username: "alice", expiresAt: later.addingTimeInterval(1))
            try await resets.issue(digest: "b1", username: "bob", expiresAt: later)
            #expect(try await resets.consume(digest: "a2", now: now) == "alice")
            #expect(try await resets.consume(digest: "a2", now: now) == nil, "spent")
            #expect(try await resets.consume(digest: "a1", now: now) == nil, "withdrawn with a2")
            #expect(try await resets.consume(digest: "b1", now: now.addingTimeInterval(601)) == nil, "expired")
            #expect(try await resets.consume(digest: "b1", now: now) == nil, "an expired token is spent by trying it")

            for index in 0..<7 {
                try await resets.issue(digest: "c\(index)", username: "carol", expiresAt: later.addingTimeInterval(Double(index)))
            }
            try await resets.issue(digest: "d1", username: "dave", expiresAt: later)
            #expect(try await resets.consume(digest: "c1", now: now) == nil, "the oldest gave way")
            try await resets.withdrawAll(username: "CAROL")
            #expect(try await resets.consume(digest: "c6", now: now) == nil, "withdrawn")
            #expect(try await resets.consume(digest: "d1", now: now) == "dave", "another account's token is untouched")
        }
    }

    /// Each key forgets its attempts by its own window: another key's shorter one (a refresh's
    /// minute) must not reset a longer limit (a reset request's fifteen minutes).
    @Test(arguments: StoreBackend.available)
    func aShortWindowDoesNotForgetALongerOnesAttempts(_ backend: StoreBackend) async throws {
        try await backend.withLoginAttempts { attempts in
            let now = Date()
            for _ in 0..<3 { _ = try await attempts.reserve(key: "long", limit: 3, window: 900, now: now) }
            #expect(try await attempts.reserve(key: "short", limit: 3, window: 60, now: now.addingTimeInterval(120)) == .reserved)
            #expect(try await attempts.reserve(key: "long", limit: 3, window: 900, now: now.addingTimeInterval(120)) != .reserved)
        }
    }

    @Test(arguments: StoreBackend.available)
    func accountsAreFoundByEmailWithoutRegardToCase(_ backend: StoreBackend) async throws {
        try await backend.withAuthStores { users, _ in
            _ = try await users.create(username: "ann", email: "Team@Example.org", role: .user, passwordHash: "h")
            _ = try await users.create(username: "ben", email: "team@example.org", role: .user, passwordHash: "h")
            _ = try await users.create(username: "cid", email: "cid@example.org", role: .user, passwordHash: "h")
            #expect(try await users.find(email: "TEAM@example.org").map(\.user.username) == ["ann", "ben"])
            #expect(try await users.find(email: "nobody@example.org").isEmpty)
        }
    }

    /// The ledger keeps the latest cutoff per account and every signed-out token, and answers
    /// with what was recorded after an instant; sign-outs older than any live token are dropped.
    @Test(arguments: StoreBackend.available)
    func theLedgerKeepsCutoffsAndSignedOutTokens(_ backend: StoreBackend) async throws {
        try await backend.withRevocationLedger { ledger in
            let start = Date(timeIntervalSince1970: Double(Int(Date().timeIntervalSince1970)))
            try await ledger.record(Revocation(username: "Alice", at: start.addingTimeInterval(2)))
            try await ledger.record(Revocation(username: "alice", at: start.addingTimeInterval(1)))
            try await ledger.record(Revocation(username: "bob", at: start.addingTimeInterval(3), tokenID: "jti-1"))
            try await ledger.record(Revocation(username: "bob", at: start.addingTimeInterval(4), tokenID: "jti-1"))
            let all = try await ledger.revocations(since: start).sorted { $0.at < $1.at }
            #expect(
                all == [
                    Revocation(username: "alice", at: start.addingTimeInterval(2)),
                    Revocation(username: "bob", at: start.addingTimeInterval(3), tokenID: "jti-1"),
                ])
            #expect(try await ledger.revocations(since: start.addingTimeInterval(2.5)).map(\.tokenID) == ["jti-1"])
            // A sign-out three days later drops the one no token can still need.
            try await ledger.record(Revocation(username: "carol", at: start.addingTimeInterval(3 * 86_400), tokenID: "jti-2"))
            #expect(try await ledger.revocations(since: start.addingTimeInterval(2.5)).map(\.tokenID) == ["jti-2"])
        }
    }

    @Test(arguments: StoreBackend.available)
    func usernamesAreUniqueWithoutRegardToCase(_ backend: StoreBackend) async throws {
        try await backend.withAuthStores { users, _ in
            let alice = try await users.create(username: "Alice", email: "alice@example.org", role: .admin, passwordHash: "hash-1")
            #expect(alice.username == "Alice")
            #expect(alice.role == .admin)
            #expect(!alice.disabled)
            await #expect(throws: UserStoreError.duplicateUsername) {
                try await users.create(username: "alice", email: "other@example.org", role: .user, passwordHash: "hash-2")
            }
            #expect(try await !users.createIfAbsent(username: "ALICE", email: "x@example.org", role: .user, passwordHash: "h"))
            #expect(try await users.createIfAbsent(username: "bob", email: "bob@example.org", role: .user, passwordHash: "hash-3"))

            let found = try #require(try await users.find(username: "aLiCe"))
            #expect(found.user == alice)
            #expect(found.passwordHash == "hash-1")
            #expect(try await users.find(username: "carol") == nil)
        }
    }

    @Test(arguments: StoreBackend.available)
    func listsInCreationOrderAndUpdatesOnlyWhatChanges(_ backend: StoreBackend) async throws {
        try await backend.withAuthStores { users, _ in
            for name in ["dan", "erin", "frank"] {
                _ = try await users.create(username: name, email: "\(name)@example.org", role: .user, passwordHash: "h-\(name)")
            }
            let page = try await users.list(limit: 2, offset: 1)
            #expect(page.total == 3)
            #expect(page.users.map(\.username) == ["erin", "frank"])

            let demoted = try #require(try await users.update(username: "ERIN", changes: UserChanges(role: .admin, disabled: true)))
            #expect(demoted.role == .admin)
            #expect(demoted.disabled)
            #expect(demoted.email == "erin@example.org")
            _ = try await users.update(username: "erin", changes: UserChanges(passwordHash: "new-hash"))
            #expect(try await users.find(username: "erin")?.passwordHash == "new-hash")
            #expect(try await users.find(username: "erin")?.user.disabled == true)
            #expect(try await users.update(username: "nobody", changes: UserChanges(disabled: true)) == nil)
        }
    }

    @Test(arguments: StoreBackend.available)
    func accountsHaveAnIdAndAnOptionalFullName(_ backend: StoreBackend) async throws {
        try await backend.withAuthStores { users, _ in
            let grace = try await users.create(username: "grace", fullName: "Grace Hopper", email: "grace@example.org", role: .user, passwordHash: "h")
            let hal = try await users.create(username: "hal", email: "hal@example.org", role: .user, passwordHash: "h")
            #expect(grace.fullName == "Grace Hopper")
            #expect(hal.fullName == nil)
            #expect(hal.id > grace.id)
            let renamed = try #require(try await users.update(username: "hal", changes: UserChanges(fullName: "HAL 9000")))
            #expect(renamed.fullName == "HAL 9000")
            #expect(renamed.id == hal.id)
            let kept = try #require(try await users.update(username: "grace", changes: UserChanges(disabled: true)))
            #expect(kept.fullName == "Grace Hopper")
            #expect(try await users.find(username: "GRACE")?.user == kept)
        }
    }

    @Test(arguments: StoreBackend.available)
    func refreshTokensRotateOnceAndReuseRevokesTheFamily(_ backend: StoreBackend) async throws {
        try await backend.withAuthStores { _, tokens in
            let expiry = Date().addingTimeInterval(3600)
            try await tokens.record(id: "t1", family: "f1", username: "alice", expiresAt: expiry)
            #expect(try await tokens.rotate(id: "t1", newID: "t2", expiresAt: expiry) == .rotated)
            #expect(try await tokens.rotate(id: "t2", newID: "t3", expiresAt: expiry) == .rotated)
            // t1 again: a replay. The whole family dies, the newest token included.
            #expect(try await tokens.rotate(id: "t1", newID: "t4", expiresAt: expiry) == .reuseDetected)
            #expect(try await tokens.rotate(id: "t3", newID: "t5", expiresAt: expiry) == .reuseDetected)
            #expect(try await tokens.rotate(id: "unknown", newID: "t6", expiresAt: expiry) == .unknown)
        }
    }

    @Test(arguments: StoreBackend.available)
    func revocationByFamilyAndByUser(_ backend: StoreBackend) async throws {
        try await backend.withAuthStores { _, tokens in
            let expiry = Date().addingTimeInterval(3600)
            try await tokens.record(id: "a1", family: "fa", username: "alice", expiresAt: expiry)
            try await tokens.record(id: "a2", family: "fb", username: "alice", expiresAt: expiry)
            try await tokens.record(id: "b1", family: "fc", username: "bob", expiresAt: expiry)
            #expect(try await tokens.revokeFamily(of: "a1"))
            #expect(try await !tokens.revokeFamily(of: "missing"))
            #expect(try await tokens.rotate(id: "a1", newID: "a3", expiresAt: expiry) == .reuseDetected)
            #expect(try await tokens.rotate(id: "a2", newID: "a4", expiresAt: expiry) == .rotated)

            try await tokens.revokeAll(username: "alice")
            #expect(try await tokens.rotate(id: "a4", newID: "a5", expiresAt: expiry) == .reuseDetected)
            #expect(try await tokens.rotate(id: "b1", newID: "b2", expiresAt: expiry) == .rotated, "bob's session is not alice's")
        }
    }

    /// Two replicas handed the same refresh token at the same moment: one rotates it, the other
    /// sees a reuse.
    @Test(arguments: StoreBackend.available)
    func concurrentRotationsOfOneTokenRotateOnce(_ backend: StoreBackend) async throws {
        try await backend.withAuthStores { _, tokens in
            let expiry = Date().addingTimeInterval(3600)
            try await tokens.record(id: "t1", family: "f1", username: "alice", expiresAt: expiry)
            let outcomes = try await withThrowingTaskGroup(of: RefreshRotation.self) { group in
                for index in 0..<2 {
                    group.addTask { try await tokens.rotate(id: "t1", newID: "next-\(index)", expiresAt: expiry) }
                }
                return try await group.reduce(into: [RefreshRotation]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 == .rotated }.count == 1, "\(outcomes)")
            #expect(outcomes.filter { $0 == .reuseDetected }.count == 1, "\(outcomes)")
        }
    }

    @Test(arguments: StoreBackend.available)
    func loginAttemptsCountWithinTheWindowUntilASuccessClearsThem(_ backend: StoreBackend) async throws {
        try await backend.withLoginAttempts { attempts in
            let start = Date(timeIntervalSince1970: 1_800_000_000)
            for second in 0..<3 {
                #expect(try await attempts.reserve(key: "eve", limit: 3, window: 60, now: start + Double(second)) == .reserved)
            }
            // The oldest attempt leaves the window 60 s after it was made.
            #expect(try await attempts.reserve(key: "eve", limit: 3, window: 60, now: start + 10) == .refused(retryAfter: 50))
            #expect(try await attempts.reserve(key: "mallory", limit: 3, window: 60, now: start + 10) == .reserved)
            #expect(try await attempts.reserve(key: "eve", limit: 3, window: 60, now: start + 60.5) == .reserved)

            try await attempts.clear(key: "mallory")
            for _ in 0..<3 {
                #expect(try await attempts.reserve(key: "mallory", limit: 3, window: 60, now: start + 11) == .reserved)
            }
            #expect(try await attempts.reserve(key: "mallory", limit: 3, window: 60, now: start + 11) == .refused(retryAfter: 60))
        }
    }

    /// The limit is checked and the attempt counted in one step: attempts racing each other
    /// (on one replica or several) get exactly `limit` tries between them.
    @Test(arguments: StoreBackend.available)
    func parallelAttemptsGetExactlyTheLimit(_ backend: StoreBackend) async throws {
        try await backend.withLoginAttempts { attempts in
            let now = Date()
            let outcomes = try await withThrowingTaskGroup(of: LoginReservation.self) { group in
                for _ in 0..<20 {
                    group.addTask { try await attempts.reserve(key: "eve", limit: 5, window: 60, now: now) }
                }
                return try await group.reduce(into: [LoginReservation]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 == .reserved }.count == 5, "\(outcomes)")
        }
    }

    /// An attempt the server was too busy to check is withdrawn: it does not count.
    @Test(arguments: StoreBackend.available)
    func aWithdrawnAttemptDoesNotCount(_ backend: StoreBackend) async throws {
        try await backend.withLoginAttempts { attempts in
            let now = Date()
            for _ in 0..<3 { #expect(try await attempts.reserve(key: "eve", limit: 3, window: 60, now: now) == .reserved) }
            try await attempts.withdraw(key: "eve")
            #expect(try await attempts.reserve(key: "eve", limit: 3, window: 60, now: now) == .reserved)
            #expect(try await attempts.reserve(key: "eve", limit: 3, window: 60, now: now) != .reserved)
        }
    }

    /// An account revoked while its login was being checked gets no session: the pair is
    /// refused after the refresh token is stored, and that token is revoked.
    @Test func aRevocationDuringLoginIssuesNothing() async throws {
        let migrations: (inout DatabaseMigrator) -> Void = { migrator in
            SQLiteUserStore.registerMigrations(&migrator)
            SQLiteRefreshTokenStore.registerMigrations(&migrator)
            SQLiteRevocationLedger.registerMigrations(&migrator)
        }
        try await StoreBackend.withSQLite(migrations: migrations) { database in
            let users = SQLiteUserStore(database: database)
            let tokens = SQLiteRefreshTokenStore(database: database)
            let ledger = SQLiteRevocationLedger(database: database)
            let issuer = TokenIssuer(
                codec: await TokenCodec(secret: String(repeating: "s", count: 40)), refreshTokens: tokens, users: users,
                revocations: ledger, accessLifetime: .seconds(60), refreshLifetime: .seconds(600)
            )
            let user = try await users.create(username: "gus", email: "gus@example.org", role: .admin, passwordHash: "h")
            let readAt = Date()
            try await ledger.record(Revocation(username: "gus", at: readAt.addingTimeInterval(0.05)))
            await #expect(throws: APIError.self) { try await issuer.issue(for: user, accountReadAt: readAt) }
            // An account read after the revocation is current again (a fixed instant: `Date()` can
            // fall within the 50 ms on a fast machine).
            #expect(try await issuer.issue(for: user, accountReadAt: readAt.addingTimeInterval(0.1)).tokenType == "bearer")
        }
    }
}
