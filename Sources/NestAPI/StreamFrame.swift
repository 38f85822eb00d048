/// The frames of an upgraded connection (`Upgrade: nest-stream`): attach and
/// exec (docs/api/streams.md). 8-byte header: the type, three zero bytes,
/// the payload's length (32-bit big-endian); then the payload.
public enum StreamFrame {
    /// The `Upgrade` token.
    public static let protocolName = "nest-stream"

    /// Client to server: data for the process's stdin; an empty one closes it.
    public static let stdin: UInt8 = 0
    /// Server to client: output (with a terminal, all of it is stdout).
    public static let stdout: UInt8 = 1
    public static let stderr: UInt8 = 2
    /// Server to client, the last frame: the exit code in decimal.
    public static let exit: UInt8 = 3
    /// Client to server: the terminal's new size, "ROWS COLS" in decimal.
    public static let resize: UInt8 = 4

    public static let headerSize = 8
    /// A longer frame is a protocol error: the connection is closed.
    public static let maxPayload = 1 << 20

    public static func encode(_ type: UInt8, _ payload: some Collection<UInt8>) -> [UInt8] {
        let n = UInt32(payload.count)
        var out: [UInt8] = [type, 0, 0, 0, UInt8(n >> 24), UInt8(n >> 16 & 0xff), UInt8(n >> 8 & 0xff), UInt8(n & 0xff)]
        out.reserveCapacity(headerSize + payload.count)
        out += payload
        return out
    }

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    /// The first whole frame of `bytes` and how many bytes it took; nil
    /// when more must arrive first.
    public static func parse(_ bytes: ArraySlice<UInt8>) throws(Invalid) -> (type: UInt8, payload: ArraySlice<UInt8>, size: Int)? {
        guard bytes.count >= headerSize else { return nil }
        let b = bytes.startIndex
        guard bytes[b + 1] == 0, bytes[b + 2] == 0, bytes[b + 3] == 0 else {
            throw Invalid(description: "frame header: bytes 1-3 must be zero")
        }
        let length = Int(bytes[b + 4]) << 24 | Int(bytes[b + 5]) << 16 | Int(bytes[b + 6]) << 8 | Int(bytes[b + 7])
        guard length <= maxPayload else { throw Invalid(description: "frame of \(length) bytes is over the limit of \(maxPayload)") }
        guard bytes.count >= headerSize + length else { return nil }
        return (bytes[b], bytes[(b + headerSize)..<(b + headerSize + length)], headerSize + length)
    }

    /// "ROWS COLS" → the size; nil unless both are 0-65535.
    public static func size(_ payload: some Collection<UInt8>) -> (rows: UInt16, cols: UInt16)? {
        let parts = String(decoding: payload, as: UTF8.self).split(separator: " ")
        guard parts.count == 2, let rows = UInt16(parts[0]), let cols = UInt16(parts[1]) else { return nil }
        return (rows, cols)
    }
}
