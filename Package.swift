// swift-tools-version:6.0
import PackageDescription

// The C programs (nest-init, nest-monitor) are built by the Makefile, not by
// SwiftPM: they must be static, single-threaded binaries with no Swift runtime.
// `nest` and `nestctl` start once per container operation. Linked as fully
// static, non-PIE executables in release builds, they need no dynamic loader,
// no symbol resolution and no relocation at start: about 1 ms less per start
// on the bench machines (docs/performance.md). Neither resolves user or host
// names, so static glibc's NSS caveat does not apply. nestd, started once,
// stays dynamic.
let staticExecutable: [LinkerSetting] = [
    .unsafeFlags(["-static-executable"], .when(platforms: [.linux], configuration: .release)),
]

let package = Package(
    name: "Nest",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "nest", targets: ["nest"]),
        .executable(name: "nestd", targets: ["nestd"]),
        .executable(name: "nestctl", targets: ["nestctl"]),
        .library(name: "NestOCI", targets: ["NestOCI"]),
        .library(name: "NestSubsystem", targets: ["NestSubsystem"]),
        .library(name: "NestRuntime", targets: ["NestRuntime"]),
        .library(name: "NestImage", targets: ["NestImage"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        .target(name: "NestOCI"),
        .target(name: "NestSubsystem", dependencies: ["NestOCI"]),
        .target(name: "CNestShims"),
        .target(name: "NestRuntime", dependencies: ["NestOCI", "NestSubsystem", "CNestShims"]),
        .target(name: "NestAPI", dependencies: ["NestOCI"]),
        // libarchive reads tar headers and runs the gzip/zstd filters; NestImage
        // creates every file itself with checked *at() calls.
        .systemLibrary(name: "CArchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),
        // Images: OCI image-spec types, the blob store, layers, the registry client.
        .target(name: "NestImage", dependencies: [
            "NestOCI", "NestAPI", "CArchive", "CNestShims",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        // Named volumes: the store under DATA/volumes, seeding, and who uses one.
        .target(name: "NestVolume", dependencies: ["NestSubsystem", "CNestShims"]),
        // Networks through CNI: conflists under DATA/networks, the plugin
        // runner, attachments and their namespace files.
        .target(name: "NestNetwork", dependencies: ["CNestShims"]),
        .target(name: "NestClient", dependencies: ["NestAPI"]),
        // What nestctl shows people (ps columns, times, --format templates):
        // pure, so tests check it without a daemon.
        .target(name: "NestCtlFormat", dependencies: ["NestAPI"]),
        .executableTarget(name: "nest", dependencies: [
            "NestRuntime",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], linkerSettings: staticExecutable),
        .executableTarget(name: "nestd", dependencies: [
            "NestAPI", "NestRuntime", "NestOCI", "NestSubsystem", "NestImage", "CNestShims", "NestVolume", "NestNetwork",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        .executableTarget(name: "nestctl", dependencies: [
            "NestClient", "NestCtlFormat", "NestSubsystem", "NestOCI",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], linkerSettings: staticExecutable),
        // The mutation fuzz loop of Tests/fuzz (docs/security-testing.md).
        .executableTarget(name: "nest-fuzz", dependencies: ["NestOCI", "NestSubsystem", "NestAPI"],
                          path: "Tests/fuzz/nest-fuzz"),
        .testTarget(name: "NestOCITests", dependencies: ["NestOCI"], resources: [.copy("Fixtures")]),
        .testTarget(name: "NestSubsystemTests", dependencies: ["NestSubsystem", "NestOCI"], resources: [.copy("Golden")]),
        .testTarget(name: "NestRuntimeTests", dependencies: ["NestRuntime"]),
        .testTarget(name: "NestImageRunTests", dependencies: ["NestImage", "NestOCI", "NestRuntime", "NestSubsystem"]),
        .testTarget(name: "NestDaemonTests", dependencies: ["NestAPI", "NestClient", "NestCtlFormat"]),
        .testTarget(name: "NestImageTests", dependencies: ["NestImage", "NestAPI"], resources: [.copy("Registry")]),
        .testTarget(name: "NestNetworkTests", dependencies: ["NestNetwork"]),
    ]
)
