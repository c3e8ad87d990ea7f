/// Account rules shared by the settings check (ADMIN_*) and the auth role's user API.
public enum UsernameRule {
    public static let description = "3–32 characters: letters, digits, '.', '_' or '-', starting with a letter or digit"

    public static func isValid(_ username: String) -> Bool {
        let scalars = Array(username.unicodeScalars)
        guard (3...32).contains(scalars.count), let first = scalars.first, first.isASCIIAlphanumeric else { return false }
        return scalars.allSatisfy { $0.isASCIIAlphanumeric || $0 == "." || $0 == "_" || $0 == "-" }
    }
}

public enum PasswordRule {
    /// At least 8 characters; at most 72 bytes, because bcrypt only reads the first 72 and longer
    /// passwords would be silently truncated.
    public static let description = "must be at least 8 characters and at most 72 bytes long"

    public static func isValid(_ password: String) -> Bool {
        password.count >= 8 && password.utf8.count <= 72
    }
}

extension Unicode.Scalar {
    var isASCIIAlphanumeric: Bool {
        ("a"..."z").contains(self) || ("A"..."Z").contains(self) || ("0"..."9").contains(self)
    }
}
