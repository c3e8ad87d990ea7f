import Foundation
import HTTPTypes
import Hummingbird
import Kernel

/// The dashboard: its files compiled into the binary (SwiftPM's `embedInCode`), served from
/// the API's own origin so the browser needs no CORS. The policy lets the page load only itself:
/// no inline script, no other origin, not framed.
public enum WebSite {
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; "
        + "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

    /// Built once: the body and headers are the same for every request.
    struct Asset: Sendable {
        let body: ByteBuffer
        let headers: HTTPFields
        let entityTag: String

        init(bytes: [UInt8], contentType: String) {
            body = ByteBuffer(bytes: bytes)
            // The file changes only with the binary; a revalidation that matches answers 304 without the body.
            entityTag = "\"" + DataVersion.digest(of: bytes).md5 + "\""
            var headers: HTTPFields = [
                .contentType: contentType,
                .contentSecurityPolicy: WebSite.contentSecurityPolicy,
                .xContentTypeOptions: "nosniff",
                .referrerPolicy: "no-referrer",
                // The files change with the binary: revalidated on every load, never stale.
                .cacheControl: "no-cache",
            ]
            headers[.xFrameOptions] = "DENY"
            headers[.eTag] = entityTag
            self.headers = headers
        }
    }

    static let assets: [String: Asset] = {
        let scripts: [(String, [UInt8])] = [
            ("app", PackageResources.app_js), ("core", PackageResources.core_js), ("charts", PackageResources.charts_js),
            ("overview", PackageResources.overview_js), ("data", PackageResources.data_js), ("training", PackageResources.training_js),
            ("models", PackageResources.models_js), ("monitoring", PackageResources.monitoring_js), ("users", PackageResources.users_js),
        ]
        var assets = [
            "/": Asset(bytes: PackageResources.index_html, contentType: "text/html; charset=utf-8"),
            "/assets/app.css": Asset(bytes: PackageResources.app_css, contentType: "text/css; charset=utf-8"),
        ]
        for (name, bytes) in scripts {
            assets["/assets/\(name).js"] = Asset(bytes: bytes, contentType: "text/javascript; charset=utf-8")
        }
        return assets
    }()

    public static func install(on routes: RouterGroup<AppRequestContext>) {
        for (path, asset) in assets {
            routes.get(RouterPath(path)) { request, _ in response(asset, ifNoneMatch: request.headers[.ifNoneMatch]) }
        }
    }

    static func response(_ asset: Asset, ifNoneMatch: String?) -> Response {
        if let ifNoneMatch, ifNoneMatch.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == asset.entityTag }) {
            return Response(status: .notModified, headers: asset.headers)
        }
        return Response(status: .ok, headers: asset.headers, body: .init(byteBuffer: asset.body))
    }
}

extension HTTPField.Name {
    static let xFrameOptions = Self("X-Frame-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
}
