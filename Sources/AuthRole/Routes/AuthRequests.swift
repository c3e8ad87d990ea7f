import Kernel

/// The rules an account's fields follow beyond their JSON types, all checked at once so one answer
/// names every field at fault.
enum NewAccount {
    static func validated(_ request: Components.Schemas.CreateUserRequest) throws -> UserRole {
        var problems: [FieldProblem] = []
        if !UsernameRule.isValid(request.username) { problems.append(.init(field: "username", problem: UsernameRule.description)) }
        if !PasswordRule.isValid(request.password) { problems.append(.init(field: "password", problem: PasswordRule.description)) }
        if !EmailRule.isValid(request.email) { problems.append(.init(field: "email", problem: EmailRule.description)) }
        if let fullName = request.fullName, !FullNameRule.isValid(fullName) { problems.append(.init(field: "full_name", problem: FullNameRule.description)) }
        guard problems.isEmpty else { throw APIError.validation(problems) }
        return request.role.flatMap { UserRole(rawValue: $0.rawValue) } ?? .user
    }
}

/// What a login must look like before a password is checked: a malformed name or an over-long
/// password is a 422 naming the field, not a failed login (which would count towards lock-out).
enum LoginFields {
    static func check(username: String, password: String) throws {
        var problems: [FieldProblem] = []
        // Counted in code points, as the spec's minLength/maxLength are.
        if !(3...50).contains(username.unicodeScalars.count) || username.first?.isWhitespace == true || username.last?.isWhitespace == true {
            problems.append(.init(field: "username", problem: "3 to 50 characters without surrounding white space"))
        }
        if password.utf8.count > 72 { problems.append(.init(field: "password", problem: "at most 72 bytes long")) }
        guard problems.isEmpty else { throw APIError.validation(problems) }
    }
}

/// `PATCH /users/{username}`: what to change, checked.
struct AccountChange {
    var email: String?
    var fullName: String?
    var role: UserRole?
    var disabled: Bool?
    var password: String?

    init(_ request: Components.Schemas.UpdateUserRequest) throws {
        var problems: [FieldProblem] = []
        email = request.email
        fullName = request.fullName
        disabled = request.disabled
        password = request.password
        // `role` may be null (no change), so the spec's type for it is not a plain enumeration.
        switch request.role?.value {
        case nil: role = nil
        case let name as String where UserRole(rawValue: name) != nil: role = UserRole(rawValue: name)
        default: problems.append(.init(field: "role", problem: "expected one of admin, user"))
        }
        if let email, !EmailRule.isValid(email) { problems.append(.init(field: "email", problem: EmailRule.description)) }
        if let fullName, !FullNameRule.isValid(fullName) { problems.append(.init(field: "full_name", problem: FullNameRule.description)) }
        if let password, !PasswordRule.isValid(password) { problems.append(.init(field: "password", problem: PasswordRule.description)) }
        if email == nil, fullName == nil, request.role?.value == nil, disabled == nil, password == nil {
            problems.append(.init(field: "body", problem: "nothing to change: give email, full_name, role, disabled or password"))
        }
        guard problems.isEmpty else { throw APIError.validation(problems) }
    }
}

extension Components.Schemas.User {
    init(_ user: User) {
        let role: RolePayload =
            switch user.role {
            case .admin: .admin
            case .user: .user
            }
        self.init(
            id: Int(user.id), fullName: user.fullName, createdAt: user.createdAt, disabled: user.disabled, email: user.email, role: role,
            updatedAt: user.updatedAt, username: user.username)
    }
}

extension Components.Schemas.TokenPair {
    init(_ pair: TokenPair) {
        self.init(accessToken: pair.accessToken, expiresIn: pair.expiresIn, refreshToken: pair.refreshToken, tokenType: .bearer)
    }
}

/// As the spec says (`maxLength` counts code points, as here); the generated decoder does not check it.
enum FullNameRule {
    static let description = "at most 200 characters"

    static func isValid(_ name: String) -> Bool { name.unicodeScalars.count <= 200 }
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
