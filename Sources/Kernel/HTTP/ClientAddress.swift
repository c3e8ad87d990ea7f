import HTTPTypes
import Hummingbird
import NIOCore

extension AppRequestContext {
    /// The address of whoever sent the request, as far as it can be trusted.
    ///
    /// nginx sets `X-Real-IP`; the header is believed only when the connection comes from
    /// loopback or a private network (where the edge runs in every supported topology), so a
    /// client reaching a role directly cannot choose its own address by sending the header.
    public func clientAddress(of request: Request) -> String {
        let peer = remoteAddress?.ipAddress ?? "unknown"
        guard let remoteAddress, remoteAddress.isLoopbackOrPrivate,
            let forwarded = request.headers[.xRealIP], !forwarded.isEmpty, forwarded.utf8.count <= 64
        else { return peer }
        return forwarded
    }
}

extension HTTPField.Name {
    public static let xRealIP = Self("X-Real-IP")!
}

extension SocketAddress {
    /// 127/8, 10/8, 172.16/12, 192.168/16, ::1, fc00::/7 (and IPv4-mapped forms of the IPv4 ones).
    var isLoopbackOrPrivate: Bool {
        switch self {
        case .v4(let address):
            return Self.isLoopbackOrPrivate(ipv4: UInt32(bigEndian: address.address.sin_addr.s_addr))
        case .v6(let address):
            let bytes = withUnsafeBytes(of: address.address.sin6_addr) { Array($0) }
            if bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return true }
            if bytes[0] & 0xFE == 0xFC { return true }
            if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
                let ipv4 = bytes[12..<16].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
                return Self.isLoopbackOrPrivate(ipv4: ipv4)
            }
            return false
        case .unixDomainSocket:
            return true
        }
    }

    private static func isLoopbackOrPrivate(ipv4: UInt32) -> Bool {
        ipv4 >> 24 == 127 || ipv4 >> 24 == 10 || ipv4 >> 20 == 0xAC1 || ipv4 >> 16 == 0xC0A8
    }
}
