import Foundation
import NestAPI
import NestImage
import XCTest

/// What `nestctl login` asks (through nestd) before it stores a login: the
/// registry's /v2/ with the credentials, as a pull presents them.
final class RegistryLoginTests: XCTestCase {
    override class func tearDown() { RegistryFixture.stopShared() }

    func options() -> RegistryOptions {
        var o = RegistryOptions()
        o.insecure = true
        return o
    }

    func testBearerRegistryTakesTheRightCredentialsAndRefusesOthers() async throws {
        let f = try RegistryFixture.get()
        let standin = try f.standin("bearer")
        let good = try await RegistryLogin.check(registry: standin, username: "nest", password: "secret", options: options())
        XCTAssertEqual(good, .accepted)
        let log = f.standinLog(standin)
        XCTAssertTrue(log.contains("GET /token"), log)
        XCTAssertTrue(log.contains("GET /v2/ Bearer"), "the base endpoint was not asked with the token:\n\(log)")

        let bad = try await RegistryLogin.check(registry: standin, username: "nest", password: "wrong", options: options())
        guard case .refused(let why) = bad else { return XCTFail("a wrong password was accepted") }
        XCTAssertTrue(why.contains("401") && why.contains("/token"), why)
    }

    func testRegistryWithoutAuthAcceptsAnyLogin() async throws {
        let f = try RegistryFixture.get()
        let outcome = try await RegistryLogin.check(registry: f.host, username: "anyone", password: "x", options: options())
        XCTAssertEqual(outcome, .accepted)
    }

    func testUnreachableRegistryIsAnErrorNotARefusal() async throws {
        do {
            let outcome = try await RegistryLogin.check(registry: "127.0.0.1:1", username: "u", password: "p", options: options())
            XCTFail("a registry nobody answers for gave \(outcome)")
        } catch let error as RegistryError {
            XCTAssertTrue(error.message.contains("127.0.0.1:1"), error.message)
        }
    }
}
