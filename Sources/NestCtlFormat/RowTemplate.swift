/// `--format` of `nestctl ps`: text with `{{.Field}}` where a field of the
/// container goes (ContainerRow.fields), and `\t`, `\n` as tab and newline.
/// `table TEMPLATE`: a header line of the fields' names, and the cells
/// between tabs lined up in columns.
public struct RowTemplate {
    enum Piece: Equatable { case text(String), field(String) }

    let pieces: [Piece]
    public let isTable: Bool

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    public init(_ template: String) throws {
        var text = Substring(template)
        isTable = text.hasPrefix("table ") || text == "table"
        if isTable { text = text.dropFirst(min(6, text.count)) }
        var pieces: [Piece] = []
        var literal = ""
        while !text.isEmpty {
            if text.hasPrefix("{{") {
                let open = text.index(text.startIndex, offsetBy: 2)
                guard let close = text[open...].indices.first(where: { text[$0...].hasPrefix("}}") }) else {
                    throw Invalid(description: "--format: {{ without }}")
                }
                let inside = text[open..<close].trimmingSpaces()
                guard inside.hasPrefix("."), ContainerRow.fields.contains(where: { $0.name == inside.dropFirst() }) else {
                    throw Invalid(description: "--format: unknown field \(inside) (fields: "
                        + ContainerRow.fields.map { "." + $0.name }.joined(separator: " ") + ")")
                }
                if !literal.isEmpty { pieces.append(.text(literal)); literal = "" }
                pieces.append(.field(String(inside.dropFirst())))
                text = text[text.index(close, offsetBy: 2)...]
            } else if text.hasPrefix("\\t") {
                literal += "\t"; text = text.dropFirst(2)
            } else if text.hasPrefix("\\n") {
                literal += "\n"; text = text.dropFirst(2)
            } else {
                literal.append(text.removeFirst())
            }
        }
        if !literal.isEmpty { pieces.append(.text(literal)) }
        self.pieces = pieces
    }

    public func render(_ row: ContainerRow) -> String {
        pieces.map { piece in
            switch piece {
            case .text(let t): t
            case .field(let f): row.value(f) ?? ""
            }
        }.joined()
    }

    /// The header line of a table: each field's column name.
    public var header: String {
        pieces.map { piece in
            switch piece {
            case .text(let t): t
            case .field(let f): ContainerRow.fields.first { $0.name == f }?.header ?? f
            }
        }.joined()
    }

    /// The lines for `rows`: a table's cells (split at tabs) padded to
    /// columns three spaces apart, the last column unpadded.
    public func lines(_ rows: [ContainerRow]) -> [String] {
        guard isTable else { return rows.map(render) }
        return Columns.aligned(([header] + rows.map(render)).map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) })
    }

    /// What `nestctl ps` shows without --format.
    public static let defaultTable = "table {{.ID}}\\t{{.Name}}\\t{{.Command}}\\t{{.RunningFor}}\\t{{.Status}}\\t{{.PID}}"
}

extension Substring {
    func trimmingSpaces() -> Substring {
        var s = self
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return s
    }
}
