#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NestOCI

extension ContainerRecord {
    /// The record as JSONEncoder writes it with sorted keys and dates in
    /// seconds since the epoch (what `RecordStore.loadAll` reads), written
    /// by hand: it is written twice per container, and the Codable
    /// machinery cost more than the rest of the write.
    var jsonBytes: [UInt8] {
        var w = JSONWriter(pretty: false)
        w.beginObject()
        if let autoRemove { w.key("autoRemove"); w.bool(autoRemove) }
        w.key("bundle"); w.string(bundle)
        w.key("command"); w.beginArray()
        for arg in command { w.string(arg) }
        w.endArray()
        w.key("created"); w.number(Self.seconds(created))
        w.key("id"); w.string(id)
        if let image { w.key("image"); w.string(image) }
        w.key("labels"); w.beginObject()
        for key in labels.keys.sorted() { w.key(key); w.string(labels[key]!) }
        w.endObject()
        if let logFile { w.key("logFile"); w.string(logFile) }
        w.key("name"); w.string(name)
        w.key("phase"); w.string(phase.rawValue)
        if let pod { w.key("pod"); w.string(pod) }
        if let started { w.key("started"); w.number(Self.seconds(started)) }
        if let stopSignal { w.key("stopSignal"); w.string(stopSignal) }
        w.endObject()
        return w.bytes
    }

    /// Shortest text that reads back as the same Double, as JSONEncoder has it.
    private static func seconds(_ date: Date) -> String {
        let s = date.timeIntervalSince1970
        return s.isFinite ? String(describing: s) : "0"
    }
}
