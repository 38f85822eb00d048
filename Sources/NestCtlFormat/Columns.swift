/// Rows of cells as lines of columns three spaces apart, the last column
/// unpadded: `nestctl ps`'s tables and `nestctl top`.
public enum Columns {
    public static func aligned(_ cells: [[String]]) -> [String] {
        let columns = cells.map(\.count).max() ?? 0
        let widths = (0..<columns).map { c in cells.map { c < $0.count ? $0[c].count : 0 }.max() ?? 0 }
        return cells.map { row in
            row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] + 3 - cell.count)
            }.joined()
        }
    }
}
