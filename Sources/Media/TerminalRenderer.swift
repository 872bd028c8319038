/// Turns cell grids into terminal output: 24-bit colour escape sequences for only the cells that
/// changed since the last grid drawn, centred in the video area (`viewer watch`, `broadcaster preview`).
public struct TerminalRenderer: Sendable {
    /// Colours closer than this (per channel) count as unchanged: codec noise is not redrawn.
    public static let tolerance = 6

    private var previous: CellGrid?
    private var origin = (row: 1, column: 1)

    /// Forgets what is on screen (after a resize or a clear): the next grid is drawn whole.
    public init() {}

    public mutating func invalidate() { previous = nil }

    /// The bytes that bring the screen from the last grid to `grid`, centred in an area of
    /// `columns` x `rows` cells starting at row `top` (1-based).
    public mutating func draw(_ grid: CellGrid, areaColumns columns: Int, areaRows rows: Int, top: Int = 1) -> String {
        let newOrigin = (row: top + max(0, (rows - grid.rows) / 2), column: 1 + max(0, (columns - grid.columns) / 2))
        var output = ""
        if let last = previous, last.columns != grid.columns || last.rows != grid.rows || newOrigin != origin {
            previous = nil
        }
        if previous == nil {
            // A new size: clear the area first.
            for row in 0..<rows { output += "\u{1B}[\(top + row);1H\u{1B}[2K" }
        }
        origin = newOrigin
        var colours: (RGB, RGB)?
        var cursor: (row: Int, column: Int)?
        for row in 0..<grid.rows {
            for column in 0..<grid.columns {
                let cell = grid[column, row]
                if let last = previous, Self.close(last[column, row], cell) { continue }
                let at = (row: origin.row + row, column: origin.column + column)
                if cursor == nil || cursor! != at { output += "\u{1B}[\(at.row);\(at.column)H" }
                if colours == nil || colours!.0 != cell.top || colours!.1 != cell.bottom {
                    output += "\u{1B}[38;2;\(cell.top.r);\(cell.top.g);\(cell.top.b);48;2;\(cell.bottom.r);\(cell.bottom.g);\(cell.bottom.b)m"
                    colours = (cell.top, cell.bottom)
                }
                output += "▀"
                cursor = (at.row, at.column + 1)
            }
        }
        if !output.isEmpty { output += "\u{1B}[0m" }
        // Keep what is on screen, so small drifts cannot add up unseen.
        if var kept = previous {
            for index in kept.cells.indices where !Self.close(kept.cells[index], grid.cells[index]) { kept.cells[index] = grid.cells[index] }
            previous = kept
        } else {
            previous = grid
        }
        return output
    }

    public static func close(_ a: CellGrid.Cell, _ b: CellGrid.Cell) -> Bool {
        a.top.distance(to: b.top) <= tolerance && a.bottom.distance(to: b.bottom) <= tolerance
    }
}
