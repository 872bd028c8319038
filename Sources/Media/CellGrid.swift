/// A picture as terminal cells: each cell is an upper half-block '▀' whose foreground is the top
/// pixel and background the bottom one, so a cell shows two square pixels.
public struct CellGrid: Equatable, Sendable {
    public struct Cell: Equatable, Sendable {
        public var top: RGB
        public var bottom: RGB

        public init(top: RGB, bottom: RGB) {
            self.top = top
            self.bottom = bottom
        }
    }

    public let columns: Int
    public let rows: Int
    public var cells: [Cell]

    public init(columns: Int, rows: Int, cells: [Cell]) {
        self.columns = columns
        self.rows = rows
        self.cells = cells
    }

    public subscript(column: Int, row: Int) -> Cell { cells[row * columns + column] }

    /// `frame` fitted into `columns` x `rows` cells, keeping its aspect ratio; each pixel of the
    /// result averages the block of source pixels it covers.
    public init(fitting frame: I420Frame, columns maxColumns: Int, rows maxRows: Int) {
        let scale = min(Double(maxColumns) / Double(frame.width), Double(maxRows * 2) / Double(frame.height))
        let columns = max(1, min(maxColumns, Int(Double(frame.width) * scale)))
        let pixelRows = max(2, min(maxRows * 2, Int(Double(frame.height) * scale)))
        let rows = pixelRows / 2
        var cells: [Cell] = []
        cells.reserveCapacity(columns * rows)
        for row in 0..<rows {
            for column in 0..<columns {
                cells.append(Cell(
                    top: Self.average(frame, column: column, pixelRow: 2 * row, columns: columns, pixelRows: rows * 2),
                    bottom: Self.average(frame, column: column, pixelRow: 2 * row + 1, columns: columns, pixelRows: rows * 2)))
            }
        }
        self.init(columns: columns, rows: rows, cells: cells)
    }

    /// The average colour of the source block under one output pixel (sampled on a 2 x 2 grid
    /// at most, which is enough for a terminal and keeps big frames cheap).
    private static func average(_ frame: I420Frame, column: Int, pixelRow: Int, columns: Int, pixelRows: Int) -> RGB {
        let x0 = column * frame.width / columns, x1 = max(x0 + 1, (column + 1) * frame.width / columns)
        let y0 = pixelRow * frame.height / pixelRows, y1 = max(y0 + 1, (pixelRow + 1) * frame.height / pixelRows)
        let xs = Set([x0 + (x1 - x0) / 4, x0 + 3 * (x1 - x0) / 4]), ys = Set([y0 + (y1 - y0) / 4, y0 + 3 * (y1 - y0) / 4])
        var (r, g, b, n) = (0, 0, 0, 0)
        for y in ys { for x in xs {
            let colour = frame.rgb(x: min(x, frame.width - 1), y: min(y, frame.height - 1))
            r += Int(colour.r); g += Int(colour.g); b += Int(colour.b); n += 1
        } }
        return RGB(UInt8(r / n), UInt8(g / n), UInt8(b / n))
    }
}
