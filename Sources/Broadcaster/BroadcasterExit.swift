import ArgumentParser
import Client
import Media

/// The broadcaster's exit codes (sysexits.h), documented in docs/CLI.md.
enum BroadcasterExit {
    static let usage: Int32 = 64  // a bad flag (ArgumentParser's own code)
    static let badFormat: Int32 = 65  // the device or file cannot give what was asked
    static let noDevice: Int32 = 66  // no camera, sound card or file by that name
    static let unavailable: Int32 = 69  // no server answered, or the cluster turned the channel down
    static let software: Int32 = 70  // a codec failed
    static let deviceFailed: Int32 = 74  // a device failed while running
    static let noPermission: Int32 = 77  // the device may not be opened by this user

    /// Prints `error` as one line a person can act on and gives the code that goes with it.
    static func code(for error: any Error) -> ExitCode {
        let code: Int32
        switch error {
        case let media as MediaError:
            switch media {
            case .noDevice: code = noDevice
            case .permissionDenied: code = noPermission
            case .unsupportedFormat, .badFile: code = badFormat
            case .codec: code = software
            case .deviceFailed: code = deviceFailed
            }
        case is ClusterAPIClient.Failure, is ClientError: code = unavailable
        default: code = software
        }
        Console.shared.error("\(error)")
        return ExitCode(code)
    }
}
