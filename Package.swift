// swift-tools-version:6.0
import PackageDescription

// The C programs (nest-init, nest-monitor) are built by the Makefile, not by
// SwiftPM: they must be static, single-threaded binaries with no Swift runtime.
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
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        .target(name: "NestOCI"),
        .target(name: "NestSubsystem", dependencies: ["NestOCI"]),
        .target(name: "CNestShims"),
        .target(name: "NestRuntime", dependencies: ["NestOCI", "NestSubsystem", "CNestShims"]),
        .target(name: "NestAPI"),
        .target(name: "NestClient", dependencies: ["NestAPI"]),
        .executableTarget(name: "nest", dependencies: [
            "NestRuntime",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "nestd", dependencies: [
            "NestAPI", "NestRuntime", "NestOCI", "NestSubsystem", "CNestShims",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        .executableTarget(name: "nestctl", dependencies: [
            "NestClient", "NestSubsystem", "NestOCI",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "NestOCITests", dependencies: ["NestOCI"], resources: [.copy("Fixtures")]),
        .testTarget(name: "NestSubsystemTests", dependencies: ["NestSubsystem", "NestOCI"], resources: [.copy("Golden")]),
        .testTarget(name: "NestRuntimeTests", dependencies: ["NestRuntime"]),
        .testTarget(name: "NestDaemonTests", dependencies: ["NestAPI", "NestClient"]),
    ]
)
