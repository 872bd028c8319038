/// Why the web portal cannot start or serve; each says what to do.
enum PortalError: Error, CustomStringConvertible {
    case badDatabaseURL(String)
    case databaseUnavailable(String)

    var description: String {
        switch self {
        case .badDatabaseURL(let url):
            "'\(url)' is not a PostgreSQL URL; give postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE, or leave --postgres out to use SQLite"
        case .databaseUnavailable(let reason):
            "the PostgreSQL database cannot be used (\(reason)); check that it runs and the URL's user may create tables"
        }
    }
}
