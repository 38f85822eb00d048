// libFuzzer target: the subsystem XML reader (XMLReader, Subsystem.read),
// the route check and the writer on whatever the reader accepts.
// Oracle: no crash (ASan, Swift traps); a document the reader accepts is
// written back and read again to the same subsystem.
import NestOCI
import NestSubsystem

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzXML(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    _ = try? XMLReader.parse(text)
    guard let s = try? Subsystem.read(xml: text) else { return 0 }
    _ = s.check()
    let again: Subsystem
    do { again = try Subsystem.read(xml: s.xml()) } catch {
        fatalError("the writer's output does not read back: \(error)")
    }
    if again.xml() != s.xml() { fatalError("read(write(s)) differs from s") }
    return 0
}
