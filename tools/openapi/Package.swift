// swift-tools-version: 6.2
// The code generator, kept out of the main package: its OpenAPIKit and Yams would otherwise build
// with every clean build of mlopsd (`make generate` runs it; CI checks its output is current).
import PackageDescription

let package = Package(
    name: "openapi-tools",
    dependencies: [
        .package(url: "https://github.com/apple/swift-openapi-generator", exact: "1.14.3")
    ]
)
