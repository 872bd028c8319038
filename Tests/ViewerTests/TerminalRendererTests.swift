import Media
import Testing

@testable import Viewer

@Suite struct TerminalRendererTests {
    /// A 16 x 8 frame: red, green, blue and white quarters.
    static func quarters() -> I420Frame {
        var frame = I420Frame(width: 16, height: 8)
        frame.fill(x: 0, y: 0, width: 8, height: 4, with: RGB(255, 0, 0))
        frame.fill(x: 8, y: 0, width: 8, height: 4, with: RGB(0, 255, 0))
        frame.fill(x: 0, y: 4, width: 8, height: 4, with: RGB(0, 0, 255))
        frame.fill(x: 8, y: 4, width: 8, height: 4, with: RGB(255, 255, 255))
        return frame
    }

    @Test func aKnownFrameGivesTheExpectedCellsAndColours() {
        // 8 columns x 2 rows of cells show 8 x 4 pixels: half the size, aspect kept.
        let grid = CellGrid(fitting: Self.quarters(), columns: 40, rows: 2)
        #expect(grid.columns == 8 && grid.rows == 2)
        let expected = [RGB(255, 0, 0), RGB(0, 255, 0), RGB(0, 0, 255), RGB(255, 255, 255)]
        for (quarter, colour) in expected.enumerated() {
            let cell = grid[quarter % 2 * 4 + 1, quarter / 2]
            #expect(cell.top.distance(to: colour) <= 4, "quarter \(quarter): \(cell.top)")
            #expect(cell.bottom.distance(to: colour) <= 4)
        }

        var renderer = TerminalRenderer()
        let first = renderer.draw(grid, areaColumns: 40, areaRows: 2)
        #expect(first.components(separatedBy: "▀").count - 1 == 16)
        // Centred: 16 free columns on each side, so the picture starts in column 17; each run of
        // one colour is one colour sequence (colours as they come back from YUV).
        func colours(_ cell: CellGrid.Cell) -> String {
            "\u{1B}[38;2;\(cell.top.r);\(cell.top.g);\(cell.top.b);48;2;\(cell.bottom.r);\(cell.bottom.g);\(cell.bottom.b)m"
        }
        #expect(first.contains("\u{1B}[1;17H" + colours(grid[0, 0]) + "▀▀▀▀" + colours(grid[4, 0]) + "▀▀▀▀"))
        #expect(first.contains("\u{1B}[2;17H" + colours(grid[0, 1]) + "▀▀▀▀" + colours(grid[4, 1]) + "▀▀▀▀"))

        // The same picture again draws nothing; one changed quarter redraws only its cells.
        #expect(renderer.draw(grid, areaColumns: 40, areaRows: 2).isEmpty)
        var changed = Self.quarters()
        changed.fill(x: 8, y: 4, width: 8, height: 4, with: RGB(0, 0, 0))
        let update = renderer.draw(CellGrid(fitting: changed, columns: 40, rows: 2), areaColumns: 40, areaRows: 2)
        #expect(update.components(separatedBy: "▀").count - 1 == 4)
        #expect(update.hasPrefix("\u{1B}[2;21H\u{1B}[38;2;0;0;0;48;2;0;0;0m▀▀▀▀"))
    }

    @Test func aResizeRedrawsEverything() {
        var renderer = TerminalRenderer()
        _ = renderer.draw(CellGrid(fitting: Self.quarters(), columns: 40, rows: 2), areaColumns: 40, areaRows: 2)
        let bigger = renderer.draw(CellGrid(fitting: Self.quarters(), columns: 40, rows: 4), areaColumns: 40, areaRows: 4)
        #expect(bigger.components(separatedBy: "▀").count - 1 == 16 * 4)
        #expect(bigger.hasPrefix("\u{1B}[1;1H\u{1B}[2K"))
    }
}
