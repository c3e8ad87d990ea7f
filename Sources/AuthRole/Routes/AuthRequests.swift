import Kernel

/// `POST /login`: JSON or the OAuth2 password-grant form FastAPI clients send.
struct LoginRequest: Decodable {
    var username: String
    var password: String
    var grantType: String?

    enum CodingKeys: String, CodingKey {
        case username, password
        case grantType = "grant_type"
    }
}

struct RefreshRequest: Decodable {
    var refreshToken: String

    enum CodingKeys: String, CodingKey {
        case refreshToken = "refresh_token"
    }
}

struct CreateUserRequest: Decodable {
    var username: String
    var password: String
    var email: String
    var role: String?

    func validated() throws -> (username: String, password: String, email: String, role: UserRole) {
        var problems: [FieldProblem] = []
        if !UsernameRule.isValid(username) { problems.append(.init(field: "username", problem: UsernameRule.description)) }
        if !PasswordRule.isValid(password) { problems.append(.init(field: "password", problem: PasswordRule.description)) }
        if !EmailRule.isValid(email) { problems.append(.init(field: "email", problem: EmailRule.description)) }
        let parsedRole = role.map { UserRole(rawValue: $0) } ?? .user
        if parsedRole == nil { problems.append(.init(field: "role", problem: "expected one of admin, user")) }
        guard problems.isEmpty, let parsedRole else { throw APIError.validation(problems) }
        return (username, password, email, parsedRole)
    }
}

struct UpdateUserRequest: Decodable {
    var email: String?
    var role: String?
    var disabled: Bool?
    var password: String?

    func problems() -> [FieldProblem] {
        var problems: [FieldProblem] = []
        if let email, !EmailRule.isValid(email) { problems.append(.init(field: "email", problem: EmailRule.description)) }
        if let role, UserRole(rawValue: role) == nil { problems.append(.init(field: "role", problem: "expected one of admin, user")) }
        if let password, !PasswordRule.isValid(password) { problems.append(.init(field: "password", problem: PasswordRule.description)) }
        if email == nil, role == nil, disabled == nil, password == nil {
            problems.append(.init(field: "body", problem: "nothing to change: give email, role, disabled or password"))
        }
        return problems
    }
}

struct ChangePasswordRequest: Decodable {
    var currentPassword: String
    var newPassword: String

    enum CodingKeys: String, CodingKey {
        case currentPassword = "current_password"
        case newPassword = "new_password"
    }
}

enum EmailRule {
    static let description = "expected an address like name@example.org"

    /// Deliberately loose (one `@`, a dot in the domain, no spaces): real validation is delivery.
    static func isValid(_ email: String) -> Bool {
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard email.utf8.count <= 254, parts.count == 2, !parts[0].isEmpty, !email.contains(where: \.isWhitespace) else {
            return false
        }
        let domain = parts[1]
        return domain.contains(".") && !domain.hasPrefix(".") && !domain.hasSuffix(".")
    }
}
