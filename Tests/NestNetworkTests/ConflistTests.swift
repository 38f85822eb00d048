import Foundation
@testable import NestNetwork
import XCTest

final class ConflistTests: XCTestCase {
    func subnet(_ text: String) throws -> Subnet { try Subnet.parse(text).get() }

    func testConflistIsACNIConfigListOfTheBridgeChain() throws {
        let c = Conflist(name: "web", bridge: "nest-web", subnet: try subnet("10.201.7.0/24"), ipamDir: "/var/lib/nest/networks/ipam")
        let doc = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(c.json())) as? [String: Any])
        XCTAssertEqual(doc["cniVersion"] as? String, "1.0.0")
        XCTAssertEqual(doc["name"] as? String, "web")
        let plugins = try XCTUnwrap(doc["plugins"] as? [[String: Any]])
        XCTAssertEqual(plugins.map { $0["type"] as? String }, ["bridge", "portmap"])
        XCTAssertEqual(plugins[0]["ipMasq"] as? Bool, false, "the network's own rule masquerades")
        XCTAssertEqual(plugins[0]["bridge"] as? String, "nest-web")
        let ipam = try XCTUnwrap(plugins[0]["ipam"] as? [String: Any])
        XCTAssertEqual(ipam["type"] as? String, "host-local")
        XCTAssertEqual(ipam["dataDir"] as? String, "/var/lib/nest/networks/ipam")
        let range = try XCTUnwrap((ipam["ranges"] as? [[[String: Any]]])?.first?.first)
        XCTAssertEqual(range["subnet"] as? String, "10.201.7.0/24")
        XCTAssertEqual(range["gateway"] as? String, "10.201.7.1")
        XCTAssertEqual((plugins[1]["capabilities"] as? [String: Any])?["portMappings"] as? Bool, true)
        XCTAssertEqual(try Conflist.read(c.json(), ipamDir: c.ipamDir), c)
    }

    func testSubnetsAreCheckedAndNameTheField() throws {
        XCTAssertEqual(try subnet("10.89.3.0/24").description, "10.89.3.0/24")
        for bad in ["10.89.3.0", "10.89.3.1/24", "10.89.300.0/24", "10.89.3.0/31", "10.89.3.0/4", "x/24", "10.89.3.0/024"] {
            guard case .failure(let e) = Subnet.parse(bad) else { return XCTFail("\(bad) accepted") }
            XCTAssertEqual(e.field, "subnet", bad)
            XCTAssertEqual(e.kind, .invalid, bad)
        }
        XCTAssertTrue(try subnet("10.0.0.0/8").overlaps(try subnet("10.89.3.0/24")))
        XCTAssertFalse(try subnet("10.89.2.0/24").overlaps(try subnet("10.89.3.0/24")))
    }

    func testBridgeNamesFitAnInterfaceName() {
        XCTAssertEqual(NetworkStore.bridgeName("web"), "nest-web")
        let long = NetworkStore.bridgeName("a-rather-long-network-name")
        XCTAssertTrue(long.hasPrefix("nest-"))
        XCTAssertLessThanOrEqual(long.utf8.count, 15)
        XCTAssertNotEqual(long, NetworkStore.bridgeName("a-rather-long-network-nam2"))
    }

    func testPortMappings() throws {
        XCTAssertEqual(try PortMapping.parse("18080:8080"), PortMapping(host: 18080, container: 8080, proto: "tcp"))
        XCTAssertEqual(try PortMapping.parse("53:53/udp"), PortMapping(host: 53, container: 53, proto: "udp"))
        for bad in ["8080", "0:80", "80:70000", "80:80/sctp", "a:b"] {
            XCTAssertThrowsError(try PortMapping.parse(bad, field: "ports[0]"), bad) { e in
                XCTAssertEqual((e as? NetworkError)?.field, "ports[0]", bad)
            }
        }
    }

    func testResultGivesTheFirstIPv4AddressAndGateway() throws {
        let text = """
        {"cniVersion":"1.0.0","interfaces":[{"name":"nest-web"},{"name":"eth0","sandbox":"/run/nest/.nestd/netns/x"}],
         "ips":[{"interface":1,"address":"fd00::5/64"},{"interface":1,"address":"10.201.7.5/24","gateway":"10.201.7.1"}],
         "routes":[{"dst":"0.0.0.0/0"}],"dns":{}}
        """
        let r = try CNIResult.parse(Array(text.utf8))
        XCTAssertEqual(r.address, "10.201.7.5/24")
        XCTAssertEqual(r.ip, "10.201.7.5")
        XCTAssertEqual(r.gateway, "10.201.7.1")
        XCTAssertThrowsError(try CNIResult.parse(Array("not json".utf8)))
    }

    func testPluginErrorsAreOneLine() {
        let out = Array(#"{"cniVersion":"1.0.0","code":11,"msg":"failed to allocate","details":"range full"}"#.utf8)
        XCTAssertEqual(CNIErrorText.describe(plugin: "bridge", command: "ADD", stdout: out, stderr: [], status: 1),
                       "bridge ADD: failed to allocate: range full (CNI error 11)")
        XCTAssertEqual(CNIErrorText.describe(plugin: "portmap", command: "DEL", stdout: [], stderr: Array("boom\n".utf8), status: 2),
                       "portmap DEL: exit status 2: boom")
    }

    func testHostsFileNamesEveryEntry() {
        XCTAssertEqual(HostsFile.text([HostsEntry(ip: "10.201.7.5", names: ["web", "abc123"]), HostsEntry(ip: "10.201.7.6", names: ["db"])]),
                       "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n10.201.7.5\tweb abc123\n10.201.7.6\tdb\n")
    }

    func testNetworkNames() {
        XCTAssertTrue(NetworkStore.isValidName("web-1.a_b"))
        for bad in ["", "-x", ".x", "a/b", "a b", String(repeating: "a", count: 65)] { XCTAssertFalse(NetworkStore.isValidName(bad), bad) }
    }
}
