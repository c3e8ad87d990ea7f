import Foundation
import Kernel

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
        guard case .object(let entry)? = try load()[server] else { return nil }
        guard let username = entry["username"]?.stringValue, let access = entry["access_token"]?.stringValue,
            let refresh = entry["refresh_token"]?.stringValue, case .number(let expires)? = entry["access_expires_at"]
        else { return nil }
        return Session(username: username, accessToken: access, refreshToken: refresh, accessExpiresAt: Date(timeIntervalSince1970: expires))
    }

    public func save(_ session: Session?, for server: String) throws {
        var servers = try load()
        if let session {
            servers[server] = .object([
                "username": .string(session.username),
                "access_token": .string(session.accessToken),
                "refresh_token": .string(session.refreshToken),
                "access_expires_at": .number(session.accessExpiresAt.timeIntervalSince1970.rounded()),
            ])
        } else {
            servers[server] = nil
        }
        try write(.object(["servers": .object(servers)]))
    }

    private func load() throws -> [String: JSONValue] {
        guard let data = FileManager.default.contents(atPath: file.path) else { return [:] }
        guard case .object(let servers)? = try JSONValue(jsonString: String(decoding: data, as: UTF8.self))["servers"] else { return [:] }
        return servers
    }

    /// Written to a 0600 temporary file in a 0700 directory, then renamed over the old one, so the
    /// tokens are never readable by others, not even for a moment.
    private func write(_ document: JSONValue) throws {
        let manager = FileManager.default
        let directory = file.deletingLastPathComponent()
        try manager.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let temporary = directory.appendingPathComponent(".credentials-\(UUID().uuidString).json")
        guard manager.createFile(atPath: temporary.path, contents: Data(document.jsonString().utf8), attributes: [.posixPermissions: 0o600]) else {
            throw ClientError.usage("cannot write \(temporary.path)")
        }
        if rename(temporary.path, file.path) != 0 {
            try? manager.removeItem(at: temporary)
            throw ClientError.usage("cannot replace \(file.path): \(String(cString: strerror(errno)))")
        }
    }
}
