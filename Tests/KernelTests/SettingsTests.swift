import Configuration
import Foundation
import Kernel
import MLOpsTesting
import Testing

@Suite struct SettingsTests {
    let secret = TestEnvironment.secret

    func load(_ variables: [String: String]) throws -> Settings {
        try Settings(config: TestEnvironment.config(variables))
    }

    @Test func productionNeedsASecret() {
        #expect(throws: SettingsError(variable: "JWT_SECRET_KEY", problem: "is not set")) {
            try load(["ADMIN_PASSWORD": "a-real-password"])
        }
    }

    @Test func shortAndExampleSecretsAreRefused() throws {
        #expect(throws: SettingsError.self) { try load(["JWT_SECRET_KEY": "short", "ADMIN_PASSWORD": "a-real-password"]) }
        let error = #expect(throws: SettingsError.self) {
            try load(["JWT_SECRET_KEY": "your-secret-key", "ADMIN_PASSWORD": "a-real-password"])
        }
        #expect(error?.variable == "JWT_SECRET_KEY")
        #expect(error?.problem.contains("example") == true)
    }

    @Test func productionRefusesExampleAdminPassword() {
        let error = #expect(throws: SettingsError.self) { try load(["JWT_SECRET_KEY": secret, "ADMIN_PASSWORD": "change-me"]) }
        #expect(error?.variable == "ADMIN_PASSWORD")
    }

    /// Compose hands ADMIN_PASSWORD to the auth role alone; the other roles start without it.
    @Test func onlyTheAuthRoleNeedsTheAdminPassword() throws {
        for role in ["data", "train", "predict"] {
            let settings = try load(["JWT_SECRET_KEY": secret, "MLOPSD_ROLE": role])
            #expect(settings.adminPassword.isEmpty)
            #expect(!settings.adminPasswordWasGenerated)
        }
        for role in ["auth", "all"] {
            let error = #expect(throws: SettingsError.self) { try load(["JWT_SECRET_KEY": secret, "MLOPSD_ROLE": role]) }
            #expect(error?.variable == "ADMIN_PASSWORD")
        }
    }

    @Test func debugGeneratesEphemeralSecretAndPassword() throws {
        let settings = try load(["DEBUG": "true"])
        #expect(settings.jwtSecret.utf8.count >= 32)
        #expect(settings.adminPasswordWasGenerated)
        #expect(PasswordRule.isValid(settings.adminPassword))
        #expect(settings.warnings.contains { $0.contains("JWT_SECRET_KEY") })
        // Generated secrets differ per process start.
        #expect(try load(["DEBUG": "true"]).jwtSecret != settings.jwtSecret)
    }

    @Test func invalidValuesNameTheVariable() {
        let cases: [(String, String)] = [
            ("MLOPSD_PORT", "eighty"), ("MLOPSD_PORT", "70000"), ("MLOPSD_ROLE", "web"), ("DEBUG", "maybe"),
            ("ACCESS_TOKEN_EXPIRE_MINUTES", "0"), ("JWT_ALGORITHM", "RS256"), ("LOG_LEVEL", "LOUD"),
            ("MLOPSD_DATABASE_URL", "mysql://db/mlopsd"), ("MLOPSD_DATABASE_URL", "postgres://u@db/mlopsd?sslmode=maybe"),
            ("MLOPSD_JOB_LEASE_SECONDS", "1"), ("MLOPSD_AUTH_URL", "auth:8004"),
        ]
        for (variable, value) in cases {
            let error = #expect(throws: SettingsError.self, "\(variable)=\(value)") {
                try load(["JWT_SECRET_KEY": secret, "ADMIN_PASSWORD": "a-real-password", variable: value])
            }
            #expect(error?.variable == variable)
        }
    }

    @Test func defaultsFollowTheRole() throws {
        let base = ["JWT_SECRET_KEY": secret, "ADMIN_PASSWORD": "a-real-password"]
        #expect(try load(base).role == .all)
        #expect(try load(base).port == 8000)
        #expect(try load(base.merging(["MLOPSD_ROLE": "auth"]) { $1 }).port == 8004)
        #expect(try Settings(config: TestEnvironment.config(base), roleOverride: .predict).port == 8003)
        let tuned = try load(base.merging(["ACCESS_TOKEN_EXPIRE_MINUTES": "5", "LOG_LEVEL": "warning"]) { $1 })
        #expect(tuned.accessTokenLifetime == .seconds(300))
        #expect(tuned.logLevel == .warning)
    }
}

@Suite struct EnvTemplateTests {
    /// `env.example` is what users copy to `.env`: its placeholders must never start a production server.
    @Test func templatePlaceholdersAreRefused() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let template = try String(contentsOf: root.appendingPathComponent("env.example"), encoding: .utf8)
        var variables: [String: String] = [:]
        for line in template.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { variables[String(parts[0])] = String(parts[1]) }
        }
        #expect(variables["JWT_SECRET_KEY"] != nil)
        let error = #expect(throws: SettingsError.self) { try Settings(config: TestEnvironment.config(variables)) }
        #expect(error?.variable == "JWT_SECRET_KEY")
        variables["JWT_SECRET_KEY"] = TestEnvironment.secret
        let passwordError = #expect(throws: SettingsError.self) { try Settings(config: TestEnvironment.config(variables)) }
        #expect(passwordError?.variable == "ADMIN_PASSWORD")
        variables["ADMIN_PASSWORD"] = "a-real-password"
        let settings = try Settings(config: TestEnvironment.config(variables))
        #expect(settings.role == .all)
    }
}
