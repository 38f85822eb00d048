#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NestImage

/// One layer of an image as a container's overlay takes it: its chain ID
/// and the directory it is unpacked in (complete, read-only).
struct ImageLayer: Sendable, Equatable {
    var chainID: String
    var path: String
}

/// An image a container is made from: its layers, lowest first, and its config.
struct ResolvedImage: Sendable {
    var layers: [ImageLayer]
    var config: ImageConfig
}

/// Where nestd finds images by reference (a name, name:tag, digest or
/// short id). The image store (NestImage's `ImageStore`: `resolve`,
/// `layerDirs`, `config`) is the one to plug in; a reference it does not
/// know is a 404 naming the field `image`.
protocol ImageSource: Sendable {
    func resolve(_ ref: String) throws(APIError) -> ResolvedImage
}

/// Images laid out by hand under DATA/images-dev, for tests and development
/// until the image store is plugged in:
///     NAME/config.json   the image config
///     NAME/layers        one line per layer, lowest first: CHAIN-ID ABSOLUTE-DIR
/// Several images may name one layer dir, as the store's images share them.
struct DirectoryImageSource: ImageSource {
    let root: String

    func resolve(_ ref: String) throws(APIError) -> ResolvedImage {
        guard !ref.isEmpty, !ref.contains("/"), ref != ".", ref != ".." else {
            throw APIError(400, "image must be a name, got \"\(ref.prefix(64))\"", field: "image")
        }
        let dir = root + "/" + ref
        guard let configData = FileManager.default.contents(atPath: dir + "/config.json"),
              let layerData = FileManager.default.contents(atPath: dir + "/layers") else {
            throw APIError(404, "no such image: \(ref)", field: "image")
        }
        let config: ImageConfig
        do { config = try ImageConfig.read(Array(configData)) } catch {
            throw APIError(500, "image \(ref): config.json: \(error)")
        }
        var layers: [ImageLayer] = []
        for line in String(decoding: layerData, as: UTF8.self).split(separator: "\n") {
            let fields = line.split(separator: " ", maxSplits: 1).map(String.init)
            guard fields.count == 2, fields[1].hasPrefix("/") else {
                throw APIError(500, "image \(ref): layers: a line is not CHAIN-ID ABSOLUTE-DIR: \(line.prefix(100))")
            }
            layers.append(ImageLayer(chainID: fields[0], path: fields[1]))
        }
        if layers.isEmpty { throw APIError(500, "image \(ref): no layers") }
        return ResolvedImage(layers: layers, config: config)
    }
}
