import ClusterLogic
import Client

/// The admin's terminal tables (paper fig. 3 in text). Every cell is cleaned (titles and hosts
/// come from the network) and columns are measured in terminal cells.
enum StatusTable {
    static func units(_ view: ClusterView) -> String {
        table(
            ["UNIT", "ADDRESS", "STATE", "GROUPS USED", "VIEWERS", "KBIT/S"],
            view.units.map { unit in
                [
                    "\(unit.unit)", "\(unit.address.host):\(unit.address.sessionPort)", unit.state,
                    "\(unit.groups.count)/\(unit.groupsPerUnit)", "\(unit.viewers)", "\(unit.bytesPerSecond * 8 / 1000)",
                ]
            })
    }

    static func channels(_ view: ClusterView) -> String {
        table(
            ["CHANNEL", "TITLE", "VIEWERS", "MAX", "GROUPS", "ROOT", "TREE"],
            view.channels.map { channel in
                [
                    "\(channel.channel)", TerminalText.fit(TerminalText.clean(channel.title), columns: 30), "\(channel.viewers)", "\(channel.maxViewers)",
                    "\(channel.groupCount)", "\(channel.root)",
                    channel.tree.sorted { $0.key < $1.key }.map { "\($0.key)<-\($0.value)" }.joined(separator: " "),
                ]
            })
    }

    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = ([header] + rows).map { $0.map { TerminalText.clean($0) } }
        let widths = header.indices.map { column in all.map { TerminalText.cells($0[column]) }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { TerminalText.pad($0.element, to: widths[$0.offset]) }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
