#if canImport(Glibc)
import Glibc
#endif
import Server

/// The executable: the roles live in the Server library, where tests, benchmarks and the fuzz
/// target reach them.
@main
enum AVServerMain {
    static func main() async {
        exitFastOnCrash()
        exitWithParent()
        await AVServer.main()
    }

    /// A harness that runs servers as its child processes (the tests) sets
    /// AVCLUSTER_EXIT_WITH_PARENT: the server then ends when its parent does, so a test run that is
    /// killed leaves no server behind holding ports and CPU.
    static func exitWithParent() {
        guard getenv("AVCLUSTER_EXIT_WITH_PARENT") != nil else { return }
        let parent = getppid()
        Task.detached {
            while getppid() == parent { try? await Task.sleep(for: .milliseconds(500)) }
            exit(70)
        }
    }

    /// A crashed server must give its ports back at once, so its service manager can start it
    /// again on them (docs/HA.md). Swift's backtracer keeps a crashed process, and its listening
    /// sockets, alive for up to its 30 s timeout and longer; it reads its settings before `main`,
    /// so the process starts itself again with it off, unless SWIFT_BACKTRACE says otherwise (a
    /// core dump through the system's core handler keeps what a backtrace would have shown).
    static func exitFastOnCrash() {
        guard getenv("SWIFT_BACKTRACE") == nil else { return }
        setenv("SWIFT_BACKTRACE", "enable=no", 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // Only reached if the exec failed: run on as we are.
    }
}
