import Server

/// The executable: the roles live in the Server library, where tests, benchmarks and the fuzz
/// target reach them.
@main
enum AVServerMain {
    static func main() async {
        await AVServer.main()
    }
}
