import ArgumentParser
import Client
import Foundation
import NIOHTTP1
import ClusterLogic
import Wire

/// `avserver admin …`: the CSM's admin service from a terminal.
struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin",
        abstract: "Look at and control a running cluster through the CSM's admin API.",
        subcommands: [Status.self, Log.self, Close.self, Expand.self, Shrink.self, Drain.self, Remove.self, MakeStreamKey.self, RevokeStreamKey.self]
    )

    struct Connection: ParsableArguments {
        @Option(help: "The CSMs' HTTP addresses; repeat it or separate with commas. The primary answers.")
        var csm: [String] = ["http://127.0.0.1:7080", "http://127.0.0.1:7081"]
        @Option(help: "File holding the admin token. Else $AVCLUSTER_ADMIN_TOKEN, else the built-in loopback token.")
        var tokenFile: String?

        var urls: [String] { csm.flatMap { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } } }

        /// The primary among the CSMs given.
        func primary() async throws -> APIEndpoint {
            let token = try Secret.load(file: tokenFile, environment: "AVCLUSTER_ADMIN_TOKEN", builtIn: Secret.builtInAdminToken)
            guard let endpoints = ClusterEndpoints(urls: urls, headers: [("Authorization", "Bearer \(token)")]) else {
                throw ValidationError("--csm must look like http://HOST:PORT")
            }
            guard let primary = await endpoints.primary() else {
                throw ValidationError("no CSM answers as the primary at \(endpoints.servers.joined(separator: ", ")); is one running, and does it hold its units' leases?")
            }
            return primary
        }

        /// Runs a call at the primary; turns failures into one clear line.
        func call<Answer: Decodable>(
            _ method: HTTPMethod, _ path: String, body: (some Encodable)? = Optional<Int>.none, as type: Answer.Type
        ) async throws -> Answer {
            let primary = try await primary()
            do {
                return try await primary.json(method, path, body: body, as: type)
            } catch let failure as APIEndpoint.Failure {
                throw ValidationError(TerminalText.clean("the CSM at \(primary.authority) answered \(failure)"))
            } catch {
                throw ValidationError(TerminalText.clean("cannot reach the CSM at \(primary.authority) (\(error)); is it running?"))
            }
        }
    }

    struct Done: Decodable { var done: Bool }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Units and channels as tables.")
        @OptionGroup var connection: Connection

        func run() async throws {
            let view = try await connection.call(.GET, "/admin/view", as: ClusterView.self)
            print("epoch \(view.epoch)")
            print(StatusTable.units(view))
            print(StatusTable.channels(view))
        }
    }

    struct Log: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The event log, newest first.")
        @OptionGroup var connection: Connection
        @Option var unit: UInt16?
        @Option var channel: UInt32?
        @Option var kind: String?
        @Option var limit = 30
        @Option var offset = 0

        func run() async throws {
            var query = "limit=\(limit)&offset=\(offset)"
            if let unit { query += "&unit=\(unit)" }
            if let channel { query += "&channel=\(channel)" }
            if let kind { query += "&kind=\(kind)" }
            for entry in try await connection.call(.GET, "/admin/log?\(query)", as: [ClusterLogEntry].self) {
                let time = Date(timeIntervalSince1970: Double(entry.timeMilliseconds) / 1000).formatted(.iso8601)
                print(TerminalText.clean("\(time)  \(entry.unit.map { "unit \($0)" } ?? "csm")  \(entry.kind)  \(entry.details)"))
            }
        }
    }

    struct Close: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Close a channel.")
        @OptionGroup var connection: Connection
        @Argument var channel: UInt32
        func run() async throws { _ = try await connection.call(.DELETE, "/admin/channels/\(channel)", as: Done.self); print("closed channel \(channel)") }
    }

    struct Expand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Link one more group to a channel.")
        @OptionGroup var connection: Connection
        @Argument var channel: UInt32
        func run() async throws { _ = try await connection.call(.POST, "/admin/channels/\(channel)/expand", as: Done.self); print("expanded channel \(channel)") }
    }

    struct Shrink: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Free one empty leaf group of a channel.")
        @OptionGroup var connection: Connection
        @Argument var channel: UInt32
        func run() async throws { _ = try await connection.call(.POST, "/admin/channels/\(channel)/shrink", as: Done.self); print("shrank channel \(channel)") }
    }

    struct Drain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop giving a unit new work (its viewers stay); --off undoes it.")
        @OptionGroup var connection: Connection
        @Argument var unit: UInt16
        @Flag var off = false
        func run() async throws {
            let client = try await connection.primary()
            let body = Array("{\"on\":\(!off)}".utf8)
            let (status, answer) = try await client.send(.POST, "/admin/units/\(unit)/drain", body: body)
            guard status == 200 else { throw ValidationError("the CSM answered HTTP \(status): \(String(decoding: answer, as: UTF8.self))") }
            print(off ? "unit \(unit) takes new work again" : "unit \(unit) drains")
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a unit: its groups move to other units.")
        @OptionGroup var connection: Connection
        @Argument var unit: UInt16
        func run() async throws { _ = try await connection.call(.DELETE, "/admin/units/\(unit)", as: Done.self); print("removed unit \(unit)") }
    }

    struct MakeStreamKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "stream-key", abstract: "Make a stream key for OBS, ffmpeg or a phone: publishing with it opens a channel of this title.")
        @OptionGroup var connection: Connection
        @Option(help: "The title of the channel it opens.")
        var title: String
        @Flag(help: "Record the channel it opens.")
        var record = false
        func run() async throws {
            let made = try await connection.call(.POST, "/admin/stream-keys", body: StreamKeyRequest(title: title, record: record), as: StreamKeyResponse.self)
            print(TerminalText.clean("stream key \(made.id) for \"\(made.title)\" (shown once; revoke with 'avserver admin revoke-stream-key \(made.id)'):"))
            print(made.key)
        }
    }

    struct RevokeStreamKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "revoke-stream-key", abstract: "Revoke a stream key: no publisher gets in with it again.")
        @OptionGroup var connection: Connection
        @Argument(help: "The key's id, as printed when it was made.")
        var id: UInt64
        func run() async throws {
            _ = try await connection.call(.DELETE, "/admin/stream-keys/\(id)", as: Done.self)
            print("stream key \(id) revoked")
        }
    }
}
