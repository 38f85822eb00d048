// libFuzzer target: config.json decoding (SpecDecoder) and validation.
// Oracle: no crash; a spec that decodes is encoded and decodes again.
import NestOCI

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSpec(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? JSONReader.parse(bytes)
    guard let spec = try? Spec.decode(bytes) else { return 0 }
    _ = spec.validate()
    guard let out = try? spec.encoded(pretty: false) else { fatalError("a decoded spec does not encode") }
    do {
        if try Spec.decode(out) != spec { fatalError("decode(encode(spec)) differs from spec") }
    } catch { fatalError("the encoder's output does not decode: \(error)") }
    return 0
}
