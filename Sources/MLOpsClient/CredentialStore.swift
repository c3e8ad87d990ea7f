import Foundation

/// The tokens `mlopsd client login` obtained, per server URL, in a file only its owner can read:
/// `$MLOPSD_CONFIG_DIR/credentials.json`, else `$XDG_CONFIG_HOME/mlopsd/…`, else `~/.config/mlopsd/…`.
public struct CredentialStore: Sendable {
    public struct Session: Sendable, Equatable {
        public var username: String
        public var accessToken: String
        public var refreshToken: String
        /// When the access token expires, from the server's `expires_in` at login or refresh.
        public var accessExpiresAt: Date

        public init(username: String, accessToken: String, refreshToken: String, accessExpiresAt: Date) {
            self.username = username
            self.accessToken = accessToken
            self.refreshToken = refreshToken
            self.accessExpiresAt = accessExpiresAt
        }
    }

    public let file: URL

    public init(file: URL) {
        self.file = file
    }

    public static func standard(environment: [String: String] = ProcessInfo.processInfo.environment) -> CredentialStore {
        let directory: URL
        if let explicit = environment["MLOPSD_CONFIG_DIR"], !explicit.isEmpty {
            directory = URL(fileURLWithPath: explicit)
        } else if let xdg = environment["XDG_CONFIG_HOME"], !xdg.isEmpty {
            directory = URL(fileURLWithPath: xdg).appendingPathComponent("mlopsd")
        } else {
            directory = FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".config/mlopsd")
        }
        return CredentialStore(file: directory.appendingPathComponent("credentials.json"))
    }

    public func session(for server: String) throws -> Session? {
        guard let entry = try load()[server] else { return nil }
        return Session(
            username: entry.username, accessToken: entry.accessToken, refreshToken: entry.refreshToken,
            accessExpiresAt: Date(timeIntervalSince1970: entry.accessExpiresAt))
    }

    public func save(_ session: Session?, for server: String) throws {
        var servers = try load()
        servers[server] = session.map {
            Entry(
                username: $0.username, accessToken: $0.accessToken, refreshToken: $0.refreshToken,
                accessExpiresAt: $0.accessExpiresAt.timeIntervalSince1970.rounded())
        }
        try write(StoredFile(servers: servers))
    }

    /// The file's layout: `{"servers": {URL: {"username", "access_token", "refresh_token", "access_expires_at"}}}`.
    private struct StoredFile: Codable {
        var servers: [String: Entry]
    }

    private struct Entry: Codable {
        var username: String
        var accessToken: String
        var refreshToken: String
        /// Seconds since 1970.
        var accessExpiresAt: Double
    }

    private func load() throws -> [String: Entry] {
        guard let data = FileManager.default.contents(atPath: file.path) else { return [:] }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try decoder.decode(StoredFile.self, from: data).servers
        } catch {
            throw ClientError.usage("\(file.path) is not a credentials file (\(error)); remove it and log in again")
        }
    }

    /// Written to a 0600 temporary file in a 0700 directory, then renamed over the old one, so the
    /// tokens are never readable by others, not even for a moment.
    private func write(_ document: StoredFile) throws {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        let contents = try encoder.encode(document)
        let manager = FileManager.default
        let directory = file.deletingLastPathComponent()
        try manager.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let temporary = directory.appendingPathComponent(".credentials-\(UUID().uuidString).json")
        guard manager.createFile(atPath: temporary.path, contents: contents, attributes: [.posixPermissions: 0o600]) else {
            throw ClientError.usage("cannot write \(temporary.path)")
        }
        if rename(temporary.path, file.path) != 0 {
            try? manager.removeItem(at: temporary)
            throw ClientError.usage("cannot replace \(file.path): \(String(cString: strerror(errno)))")
        }
    }
}
