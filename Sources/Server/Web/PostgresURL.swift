import Foundation
import PostgresNIO

/// postgres://user[:password]@host[:port]/database as PostgresNIO's configuration (no TLS: the
/// database is expected on the same host or a private network).
enum PostgresURL {
    static func configuration(_ url: String) -> PostgresClient.Configuration? {
        guard let parts = URLComponents(string: url), ["postgres", "postgresql"].contains(parts.scheme ?? ""), let host = parts.host,
            let user = parts.user, parts.path.count > 1
        else { return nil }
        return PostgresClient.Configuration(
            host: host, port: parts.port ?? 5432, username: user, password: parts.password, database: String(parts.path.dropFirst()),
            tls: .disable)
    }
}
