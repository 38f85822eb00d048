import Foundation
import NestAPI
import XCTest

/// Networks through CNI with the real plugins (containernetworking-plugins
/// in /usr/lib/cni): each test makes its own networks (names `nt...`,
/// bridges `nest-nt...`, subnets 10.201.N.0/24) and checks that the host's
/// links, iptables rules and the IPAM dir are as before once it has removed
/// them.
final class NetworkTests: DaemonTestCase {
    var ipamDir: String { data + "/networks/ipam" }
    var madeNetworks: [String] = []

    override func setUpWithError() throws {
        guard geteuid() == 0 else { throw XCTSkip("needs root: networks make bridges and iptables rules") }
        if access("/usr/lib/cni/bridge", X_OK) != 0 || access("/usr/sbin/iptables", X_OK) != 0 {
            _ = runCommand(["/usr/bin/apt-get", "install", "-y", "-qq", "--no-install-recommends", "containernetworking-plugins", "iptables"],
                           env: ["DEBIAN_FRONTEND": "noninteractive"])
        }
        guard access("/usr/lib/cni/bridge", X_OK) == 0 else {
            throw XCTSkip("needs containernetworking-plugins in /usr/lib/cni (apt-get install containernetworking-plugins)")
        }
        try super.setUpWithError()
    }

    override func tearDown() {
        // what a failed test left: containers first (their DEL), then its
        // networks; a daemon the test killed is started again to do it
        if daemon?.isRunning != true, !madeNetworks.isEmpty { _ = try? startDaemon() }
        if daemon?.isRunning == true {
            if let list = try? get("/v1/containers", as: [ContainerInfo].self) {
                for c in list { _ = try? client.request("DELETE", "/v1/containers/\(c.id)?force=true") }
            }
            for n in madeNetworks { _ = try? client.request("DELETE", "/v1/networks/\(n)") }
        }
        // namespace files of a daemon killed for good are mounts: never rm -rf across them
        for f in (try? FileManager.default.contentsOfDirectory(atPath: root + "/.nestd/netns")) ?? [] {
            _ = runCommand(["/bin/umount", "-l", root + "/.nestd/netns/" + f])
        }
        super.tearDown()
    }

    func network(_ name: String, _ subnet: String) {
        let r = nestctl(["network", "create", "--subnet", subnet, name])
        XCTAssertEqual(r.code, 0, r.stderr)
        madeNetworks.append(name)
    }

    /// The host state a network leaves behind if it leaks: interfaces,
    /// iptables rules (filter and nat), and the leases.
    func hostSnapshot() -> [String] {
        let links = runCommand(["/usr/sbin/ip", "-o", "link"]).stdout.split(separator: "\n").map { line -> String in
            let name = line.split(separator: ":", maxSplits: 2).dropFirst().first ?? ""
            return "link " + (name.split(separator: "@").first.map(String.init) ?? "").trimmingCharacters(in: .whitespaces)
        }
        let rules = runCommand(["/usr/sbin/iptables-save"]).stdout.split(separator: "\n")
            .filter { !$0.hasPrefix("#") }
            .map { $0.replacingOccurrences(of: #"\[[0-9]+:[0-9]+\]"#, with: "", options: .regularExpression) }
        let leases = ((try? FileManager.default.subpathsOfDirectory(atPath: ipamDir)) ?? []).map { "lease " + $0 }
        return (links + rules + leases).sorted()
    }

    /// Host-side rules the plugins keep once made (portmap's
    /// top-level chains, shared by every CNI user of the host): made here
    /// first so that the snapshot holds them.
    func warmUp() throws {
        let b = try makeBundle("warm", ["true"])
        network("ntwarm", "10.201.99.0/24")
        let r = nestctl(["run", "--rm", "--network", "ntwarm", "-p", "18099:80", b])
        XCTAssertEqual(r.code, 0, r.stderr)
        XCTAssertEqual(nestctl(["network", "rm", "ntwarm"]).code, 0)
        madeNetworks.removeAll { $0 == "ntwarm" }
    }

    func server(_ name: String) throws -> String {
        let b = try makeBundle(name, ["httpd", "-f", "-p", "8080", "-h", "/www"])
        try FileManager.default.createDirectory(atPath: b + "/rootfs/www", withIntermediateDirectories: true)
        try "hello from \(name)\n".write(toFile: b + "/rootfs/www/index.html", atomically: true, encoding: .utf8)
        return b
    }

    func address(of container: String) -> String? {
        let xml = nestctl(["subsystem", container]).stdout
        guard let r = xml.range(of: #"address="[0-9.]+"#, options: .regularExpression) else { return nil }
        return String(xml[r].dropFirst(9))
    }

    func testNetworkCRUDAndErrorsNameTheField() throws {
        network("ntcrud", "10.201.10.0/24")
        let info = try get("/v1/networks/ntcrud", as: NetworkInfo.self)
        XCTAssertEqual(info.subnet, "10.201.10.0/24")
        XCTAssertEqual(info.gateway, "10.201.10.1")
        XCTAssertEqual(info.bridge, "nest-ntcrud")
        XCTAssertEqual(info.containers, [])
        XCTAssertTrue(FileManager.default.fileExists(atPath: data + "/networks/ntcrud/conflist.json"))
        XCTAssertEqual(nestctl(["network", "ls", "-q"]).stdout, "ntcrud\n")
        let inspect = nestctl(["network", "inspect", "ntcrud"])
        XCTAssertEqual(try JSONDecoder().decode([NetworkInfo].self, from: Data(inspect.stdout.utf8)), [info])

        let overlap = try request("POST", "/v1/networks", body: NetworkCreateRequest(name: "ntover", subnet: "10.201.10.128/25"))
        XCTAssertEqual(overlap.status, 409, overlap.text)
        XCTAssertTrue(overlap.text.contains("overlaps network ntcrud"), overlap.text)
        let bad = try request("POST", "/v1/networks", body: NetworkCreateRequest(name: "ntbad", subnet: "10.201.11.1/24"))
        XCTAssertEqual(bad.status, 400)
        XCTAssertTrue(bad.text.contains("\"field\":\"subnet\""), bad.text)
        let name = try request("POST", "/v1/networks", body: NetworkCreateRequest(name: "../x"))
        XCTAssertEqual(name.status, 400)
        XCTAssertTrue(name.text.contains("\"field\":\"name\""), name.text)
        XCTAssertEqual(try request("POST", "/v1/networks", body: NetworkCreateRequest(name: "ntcrud")).status, 409)
        let put = try request("PUT", "/v1/networks/ntcrud")
        XCTAssertEqual(put.status, 405)
        XCTAssertEqual(try request("GET", "/v1/networks/nosuch").status, 404)

        // in use: refused naming the container; an unknown network at create is a 404 naming the field
        let b = try makeBundle("idle", ["sleep", "1000"])
        XCTAssertEqual(nestctl(["create", "--name", "idle", "--network", "ntcrud", "-p", "18097:80", b]).code, 0)
        let rm = nestctl(["network", "rm", "ntcrud"])
        XCTAssertEqual(rm.code, 1)
        XCTAssertTrue(rm.stderr.contains("network ntcrud is in use by container idle"), rm.stderr)
        XCTAssertEqual(try get("/v1/networks/ntcrud", as: NetworkInfo.self).containers, ["idle"])
        let unknown = try request("POST", "/v1/containers", body: CreateRequest(bundle: b, networks: ["nosuch"]))
        XCTAssertEqual(unknown.status, 404, unknown.text)
        XCTAssertTrue(unknown.text.contains("\"field\":\"networks[0]\""), unknown.text)
        let port = try request("POST", "/v1/containers", body: CreateRequest(bundle: b, networks: ["ntcrud"], ports: [PortRequest(host: 0, container: 80)]))
        XCTAssertEqual(port.status, 400, port.text)
        XCTAssertTrue(port.text.contains("\"field\":\"ports[0]\""), port.text)
        let taken = try request("POST", "/v1/containers", body: CreateRequest(bundle: b, networks: ["ntcrud"], ports: [PortRequest(host: 18097, container: 81)]))
        XCTAssertEqual(taken.status, 409, taken.text)
        XCTAssertTrue(taken.text.contains("host port 18097/tcp is published by") && taken.text.contains("\"field\":\"ports[0]\""), taken.text)
        XCTAssertEqual(try get("/v1/networks/ntcrud", as: NetworkInfo.self).containers, ["idle"], "the refused create left nothing attached")
        XCTAssertEqual(nestctl(["rm", "idle"]).code, 0)
        XCTAssertEqual(nestctl(["network", "rm", "ntcrud"]).stdout, "ntcrud\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: data + "/networks/ntcrud"))
    }

    func testContainersReachEachOtherByNameAndPublishedPortsAndNothingLeaks() throws {
        try warmUp()
        let before = hostSnapshot()
        network("nta", "10.201.1.0/24")
        network("ntb", "10.201.2.0/24")
        let web = nestctl(["run", "-d", "--name", "web", "--network", "nta", "-p", "18080:8080", try server("web")])
        XCTAssertEqual(web.code, 0, web.stderr)
        let xml = nestctl(["subsystem", "web"]).stdout
        XCTAssertTrue(xml.contains("<start name=\"net-nta\">"), xml)
        XCTAssertTrue(xml.contains("<service name=\"Nic\">\n        <child name=\"net-nta\"/>"), xml)
        let webIP = try XCTUnwrap(address(of: "web"))

        // by name from another container of the network; its own name is in its hosts
        let client = try makeBundle("client", ["sh", "-c", "timeout 5 wget -q -O- http://web:8080/ && grep -c client /etc/hosts"])
        let reached = nestctl(["run", "--rm", "--name", "client", "--network", "nta", client])
        XCTAssertEqual(reached.code, 0, reached.stderr)
        XCTAssertEqual(reached.stdout, "hello from web\n1\n")
        // through the published port, from the network (the gateway: hairpin) and from the host's 127.0.0.1
        let viaGateway = try makeBundle("gw", ["timeout", "5", "wget", "-q", "-O-", "http://10.201.1.1:18080/"])
        let g = nestctl(["run", "--rm", "--network", "nta", viaGateway])
        XCTAssertEqual(g.code, 0, g.stderr)
        XCTAssertEqual(g.stdout, "hello from web\n")
        let host = runCommand(["/usr/bin/curl", "-s", "-m", "5", "http://127.0.0.1:18080/"])
        XCTAssertEqual(host.stdout, "hello from web\n", host.stderr)

        // network B: neither the name nor the address
        let outsider = try makeBundle("outsider", ["sh", "-c",
            "timeout 2 wget -q -O- http://web:8080/; echo name=$?; timeout 2 wget -q -O- http://\(webIP):8080/; echo addr=$?"])
        let o = nestctl(["run", "--rm", "--network", "ntb", outsider])
        XCTAssertEqual(o.code, 0, o.stderr)
        XCTAssertFalse(o.stdout.contains("hello"), o.stdout)
        // the name is unknown there; the address times out (timeout's own status) or is refused, never answers
        XCTAssertTrue(o.stdout.contains("name=1") && o.stdout.contains("addr=") && !o.stdout.contains("addr=0"), o.stdout)

        XCTAssertEqual(nestctl(["rm", "-f", "web"]).code, 0)
        XCTAssertEqual(nestctl(["network", "rm", "nta", "ntb"]).code, 0)
        madeNetworks = []
        XCTAssertEqual(hostSnapshot(), before)
        XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: root + "/.nestd/netns")) ?? [], [])
    }

    /// A pod on a network: its containers share the pod's namespace file
    /// (the holder joins it), a container of the network reaches the pod's
    /// server by the pod's name, the pod's containers reach that container
    /// by its name (their one /etc/hosts is rewritten as it joins), a port
    /// published by the pod answers on the host; `pod rm` leaves nothing.
    func testAPodOnANetworkIsReachedByItsNameAndLeavesNothing() throws {
        try warmUp()
        let before = hostSnapshot()
        network("ntpod", "10.201.4.0/24")
        let made = nestctl(["pod", "create", "--name", "ntweb", "--network", "ntpod", "-p", "18081:8080"])
        XCTAssertEqual(made.code, 0, made.stderr)
        let pod = try XCTUnwrap(try? get("/v1/pods/ntweb", as: PodInfo.self))
        XCTAssertEqual(pod.network, "ntpod")
        XCTAssertTrue(pod.address?.hasPrefix("10.201.4.") == true, "\(pod)")
        XCTAssertEqual(nestctl(["run", "-d", "--pod", "ntweb", "--name", "httpd", try server("ntweb")]).code, 0)
        let xml = nestctl(["subsystem", "ntweb"]).stdout
        XCTAssertTrue(xml.contains("<share namespace=\"network\" nic=\"net-ntpod\"/>"), xml)

        // from the network, by the pod's name; from the host, the published port
        let client = try makeBundle("client", ["sh", "-c", "timeout 5 wget -q -O- http://ntweb:8080/"])
        let reached = nestctl(["run", "--rm", "--name", "podclient", "--network", "ntpod", client])
        XCTAssertEqual(reached.stdout, "hello from ntweb\n", reached.stderr)
        let host = runCommand(["/usr/bin/curl", "-s", "-m", "5", "http://127.0.0.1:18081/"])
        XCTAssertEqual(host.stdout, "hello from ntweb\n", host.stderr)

        // a container that joins the network later is in the pod's hosts file, and reached by name from the pod
        XCTAssertEqual(nestctl(["run", "-d", "--name", "later", "--network", "ntpod", try server("later")]).code, 0)
        let asker = try makeBundle("asker", ["sh", "-c", "grep -c later /etc/hosts; timeout 5 wget -q -O- http://later:8080/"])
        let asked = nestctl(["run", "--rm", "--pod", "ntweb", "--name", "asker", asker])
        XCTAssertEqual(asked.code, 0, asked.stderr)
        XCTAssertEqual(asked.stdout, "1\nhello from later\n")

        XCTAssertEqual(nestctl(["rm", "-f", "later"]).code, 0)
        XCTAssertEqual(nestctl(["pod", "rm", "-f", "ntweb"]).code, 0)
        XCTAssertEqual(nestctl(["network", "rm", "ntpod"]).code, 0, "the pod's attachment is gone with it")
        madeNetworks = []
        XCTAssertEqual(hostSnapshot(), before)
        XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: root + "/.nestd/netns")) ?? [], [])
    }

    /// kill -9 with five servers and a pod of three on a network; one
    /// removed while nestd is down (by the runtime's own command) gets its
    /// DEL at the next start, one whose veth went is attached again at its
    /// address, the pod keeps running and reachable.
    func testAKilledDaemonRecoversTheNetworkAndDeletesWhatWentWhileItWasDown() throws {
        try warmUp()
        let before = hostSnapshot()
        network("ntk", "10.201.3.0/24")
        var ids: [String: String] = [:]
        for i in 1...5 {
            let r = nestctl(["run", "-d", "--name", "s\(i)", "--network", "ntk", try server("s\(i)")])
            XCTAssertEqual(r.code, 0, r.stderr)
            ids["s\(i)"] = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        // and a pod of three on the same network: a server and two idle containers
        XCTAssertEqual(nestctl(["pod", "create", "--name", "ntkpod", "--network", "ntk"]).code, 0)
        XCTAssertEqual(nestctl(["run", "-d", "--pod", "ntkpod", "--name", "web", try server("ntkpod")]).code, 0)
        let idle = try makeBundle("idle", ["sleep", "1000"])
        for n in ["a", "b"] { XCTAssertEqual(nestctl(["run", "-d", "--pod", "ntkpod", "--name", n, idle]).code, 0) }
        let goneIP = try XCTUnwrap(address(of: "s3"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: ipamDir + "/ntk/" + goneIP))
        let s2IP = try XCTUnwrap(address(of: "s2"))
        killDaemon()
        let del = runCommand([TestEnv.nest, "delete", "--root", root, "-f", ids["s3"]!])
        XCTAssertEqual(del.code, 0, del.stderr)
        // s2 loses its host-side veth while nestd is down: its CHECK fails and
        // the start attaches it again, at the address it had
        let record = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: data + "/networks/attachments/\(ids["s2"]!).json"))) as? [String: Any]
        let result = try XCTUnwrap(((record?["networks"] as? [[String: Any]])?.first?["result"] as? String))
        let interfaces = try XCTUnwrap((JSONSerialization.jsonObject(with: Data(result.utf8)) as? [String: Any])?["interfaces"] as? [[String: Any]])
        let veth = try XCTUnwrap(interfaces.first { $0["sandbox"] == nil && ($0["name"] as? String)?.hasPrefix("veth") == true }?["name"] as? String)
        XCTAssertEqual(runCommand(["/usr/sbin/ip", "link", "delete", veth]).code, 0)
        try startDaemon()
        let s2 = nestctl(["exec", "s2", "ip", "-o", "-4", "addr", "show", "eth0"])
        XCTAssertTrue(s2.stdout.contains(" \(s2IP)/24 "), s2.stdout + s2.stderr)

        XCTAssertFalse(FileManager.default.fileExists(atPath: ipamDir + "/ntk/" + goneIP), "s3's lease is released")
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/.nestd/netns/" + ids["s3"]!))
        XCTAssertEqual(try get("/v1/networks/ntk", as: NetworkInfo.self).containers, ["ntkpod", "s1", "s2", "s4", "s5"])
        // the survivors reach each other by name, and s3 is out of their hosts
        let probe = try makeBundle("probe", ["sh", "-c", "for s in s1 s2 s4 s5; do timeout 5 wget -q -O- http://$s:8080/; done; grep -c s3 /etc/hosts"])
        let p = nestctl(["run", "--rm", "--network", "ntk", probe])
        XCTAssertEqual(p.stdout, "hello from s1\nhello from s2\nhello from s4\nhello from s5\n0\n", p.stderr)
        let e = nestctl(["exec", "s1", "sh", "-c", "timeout 5 wget -q -O- http://s5:8080/; grep -c s3 /etc/hosts"])
        XCTAssertEqual(e.stdout, "hello from s5\n0\n", e.stderr)
        // the pod: its three containers still run, it is reached by its name, and reaches the others by theirs
        let ps = try get("/v1/pods/ntkpod", as: PodInfo.self)
        XCTAssertEqual(ps.containers.map(\.state), ["running", "running", "running"], "\(ps.containers)")
        let toPod = nestctl(["exec", "s1", "sh", "-c", "timeout 5 wget -q -O- http://ntkpod:8080/"])
        XCTAssertEqual(toPod.stdout, "hello from ntkpod\n", toPod.stderr)
        let fromPod = nestctl(["exec", "ntkpod/a", "sh", "-c", "timeout 5 wget -q -O- http://s4:8080/"])
        XCTAssertEqual(fromPod.stdout, "hello from s4\n", fromPod.stderr)
        XCTAssertEqual(nestctl(["pod", "rm", "-f", "ntkpod"]).code, 0)

        let rm = nestctl(["rm", "-f", "s1", "s2", "s4", "s5"])
        XCTAssertEqual(rm.code, 0, rm.stderr)
        let netRm = nestctl(["network", "rm", "ntk"])
        XCTAssertEqual(netRm.code, 0, netRm.stderr)
        madeNetworks = []
        XCTAssertEqual(hostSnapshot(), before)
    }
}
