import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The dashboard's files as the binary serves them: every module the page imports is there, each
/// under the policy that keeps the page to its own origin, revalidated by entity tag, and all of
/// them within the page-weight budget. The browser suite (tests/browser) drives the pages.
@Suite struct DashboardAssetsTests {
    @Test func everyFileThePageLoadsIsServedUnderThePolicy() async throws {
        let server = try await LiveServer(role: "auth", environment: LiveServerTests.environment)
        defer { _ = server.stop() }

        var pending = ["", "assets/app.css", "assets/app.js"]
        var served: [String: HTTPTestClient.Reply] = [:]
        let imports = try NSRegularExpression(pattern: #"from "\./([a-z]+\.js)""#)
        while let path = pending.popLast() {
            guard served[path] == nil else { continue }
            let reply = try await server.request("GET", path)
            #expect(reply.status == 200, "\(path)")
            served[path] = reply
            let text = String(decoding: reply.body, as: UTF8.self)
            for match in imports.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                if let range = Range(match.range(at: 1), in: text) { pending.append("assets/" + text[range]) }
            }
        }
        #expect(served.count >= 11, "\(served.keys.sorted())")
        #expect(served.values.map(\.body.count).reduce(0, +) < 200_000, "the page weighs under 200 KB")

        for (path, reply) in served {
            let policy = try #require(reply.headers["content-security-policy"], "\(path)")
            #expect(policy.contains("default-src 'none'") && policy.contains("script-src 'self'") && !policy.contains("unsafe"))
            #expect(reply.headers["x-content-type-options"] == "nosniff")
            #expect(reply.headers["x-frame-options"] == "DENY")
            #expect(
                reply.headers["content-type"]?.hasPrefix(path.hasSuffix(".js") ? "text/javascript" : path.hasSuffix(".css") ? "text/css" : "text/html") == true)
            let tag = try #require(reply.headers["etag"], "\(path)")
            let again = try await server.request("GET", path, headers: ["If-None-Match": tag])
            #expect(again.status == 304, "\(path)")
            #expect(again.body.isEmpty)
        }
        // No inline script or style for the policy to refuse.
        let page = String(decoding: try #require(served[""]).body, as: UTF8.self)
        #expect(!page.contains("<script>") && !page.contains("style="))
        #expect(try await server.request("GET", "assets/absent.js").status == 404)
    }
}
