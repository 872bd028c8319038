import Foundation

/// Where a server role's settings come from. Each setting is declared once, as its flag (the
/// name, the default and the help with its unit, in the `@Option`); a settings file and the
/// environment are read as more of the same flags:
///
/// - `--config FILE`: JSON, keys as the long flags (`"session-port": 7100`, or `"sessionPort"`),
///   a list for a flag given several times, `true` for a flag without a value;
/// - `AVSERVER_<ROLE>_<FLAG>`: `AVSERVER_UNIT_SESSION_PORT=7100`, `AVSERVER_CSM_BACKUP=true`;
/// - the command line.
///
/// Each source given a setting wins over the one before it and gives all of its values (a list
/// on the command line replaces the file's list). A key or a variable that names no flag is
/// refused as an unknown option, as a mistyped flag is.
enum SettingsSources {
    /// The roles whose settings can come from a file and the environment.
    static let roles = ["unit", "csm", "web"]

    /// Settings-file keys of earlier releases whose flag is spelt otherwise.
    static let formerKeys = [
        "webSocketPort": "websocket-port", "webSocketPublicPort": "websocket-public-port",
        "tcpBatchMilliseconds": "tcp-batch-ms", "maxLoopDelayMilliseconds": "max-loop-delay-ms",
    ]

    /// `avserver`'s arguments with the settings of a role's file and environment put before its
    /// own command line; others as they are.
    static func expanded(_ arguments: [String], environment: [String: String]) throws -> [String] {
        guard let role = arguments.first, roles.contains(role) else { return arguments }
        return [role] + (try layered(Array(arguments.dropFirst()), role: role, environment: environment))
    }

    /// One role's command line, with its file's and environment's settings before it.
    static func layered(_ commandLine: [String], role: String, environment: [String: String] = [:]) throws -> [String] {
        var sources: [[(flag: String, value: String?)]] = []
        if let path = configPath(in: commandLine) { sources.append(try file(path)) }
        sources.append(variables(environment, role: role))
        var given = flags(in: commandLine)
        var arguments: [String] = []
        for source in sources.reversed() {
            let kept = source.filter { !given.contains($0.flag) }
            given.formUnion(source.map(\.flag))
            arguments = kept.flatMap { ["--\($0.flag)"] + ($0.value.map { [$0] } ?? []) } + arguments
        }
        return arguments + commandLine
    }

    /// The long flags named on a command line.
    static func flags(in commandLine: [String]) -> Set<String> {
        Set(commandLine.compactMap { argument in
            guard argument.hasPrefix("--"), argument.count > 2 else { return nil }
            return String(argument.dropFirst(2).prefix { $0 != "=" })
        })
    }

    private static func configPath(in commandLine: [String]) -> String? {
        for (index, argument) in commandLine.enumerated() {
            if argument == "--config", index + 1 < commandLine.count { return commandLine[index + 1] }
            if argument.hasPrefix("--config=") { return String(argument.dropFirst("--config=".count)) }
        }
        return nil
    }

    /// The flag a settings-file key names: the key itself, or its camelCase spelt as a flag.
    static func flag(forKey key: String) -> String {
        if let former = formerKeys[key] { return former }
        var flag = ""
        for character in key {
            if character.isUppercase, !flag.isEmpty { flag.append("-") }
            flag.append(character.lowercased())
        }
        return flag
    }

    static func file(_ path: String) throws -> [(flag: String, value: String?)] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SettingsError("cannot read \(path); check the path given to --config")
        }
        let settings: [String: SettingValue]
        do {
            settings = try JSONDecoder().decode([String: SettingValue].self, from: data)
        } catch {
            throw SettingsError("\(path) is not a JSON object of settings, each a string, a number, true or false, or a list of them (\(error)); see samples/unit.json")
        }
        return settings.keys.sorted().filter { $0 != "config" }.flatMap { key in
            let flag = flag(forKey: key)
            return settings[key]!.values.compactMap { value -> (flag: String, value: String?)? in
                switch value {
                case .on(let on): on ? (flag, nil) : nil
                case .text(let text): (flag, text)
                }
            }
        }
    }

    static func variables(_ environment: [String: String], role: String) -> [(flag: String, value: String?)] {
        let prefix = "AVSERVER_\(role.uppercased())_"
        return environment.keys.sorted().filter { $0.hasPrefix(prefix) && $0.count > prefix.count }.compactMap { name in
            let flag = name.dropFirst(prefix.count).lowercased().replacingOccurrences(of: "_", with: "-")
            switch environment[name]!.lowercased() {
            case "true": return (flag, nil)
            case "false": return nil
            default: return (flag, environment[name]!)
            }
        }
    }
}

/// One value in a settings file: JSON's own types, read strictly (1 is a number, never `true`).
private enum SettingValue: Decodable {
    case on(Bool)
    case text(String)
    case list([SettingValue])

    init(from decoder: any Decoder) throws {
        let value = try decoder.singleValueContainer()
        if let on = try? value.decode(Bool.self) {
            self = .on(on)
        } else if let number = try? value.decode(Int.self) {
            self = .text(String(number))
        } else if let number = try? value.decode(Double.self) {
            self = .text(String(number))
        } else if let text = try? value.decode(String.self) {
            self = .text(text)
        } else {
            self = .list(try value.decode([SettingValue].self))
        }
    }

    /// Each value a flag is given, in order.
    var values: [Single] {
        switch self {
        case .on(let on): [.on(on)]
        case .text(let text): [.text(text)]
        case .list(let list): list.flatMap(\.values)
        }
    }

    enum Single { case on(Bool), text(String) }
}

/// A settings file that cannot be used, with what to do.
struct SettingsError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
