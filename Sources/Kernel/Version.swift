/// The version reported by `mlopsd version`, `/health`, the build-info metric and tracking tags.
public enum MLOpsVersion {
    public static let current = "0.1.0"
}
