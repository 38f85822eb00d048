import Foundation
import NestAPI
import XCTest

/// Pods through nestd and nestctl: containers added to a pod share its
/// loopback, hostname and volumes, each is reaped by its own nest-init,
/// and the pod's quota is the parent of theirs.
final class PodTests: DaemonTestCase {
    /// A name of this test's own for a pod or a volume.
    func unique(_ base: String) -> String { "\(base)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))" }

    /// Nothing of the pod is left: no state, no cgroup, no record.
    func assertGone(_ pod: PodInfo, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: root))?.filter { !$0.hasPrefix(".") } ?? [], [],
                       "state left", file: file, line: line)
        XCTAssertEqual(cgroupDirs(pod.id), [], "cgroups left", file: file, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: data + "/pods/" + pod.id), "pod data left", file: file, line: line)
        XCTAssertEqual(processes(containing: pod.id), [], "processes left", file: file, line: line)
        XCTAssertEqual(try get("/v1/containers", as: [ContainerInfo].self).filter { $0.id.hasPrefix(pod.id) }.map(\.name), [],
                       file: file, line: line)
    }

    func pod(_ name: String) throws -> PodInfo { try get("/v1/pods/\(name)") }

    func testTwoContainersShareLoopbackHostnameAndAVolume() throws {
        let name = unique("web")
        let volume = unique("www")
        let server = try makeBundle("server", ["sh", "-c", """
            mkdir -p /data/www && echo page-from-the-server > /data/www/index.html && hostname > /data/server-host \
            && exec httpd -f -p 127.0.0.1:8080 -h /data/www
            """])
        let client = try makeBundle("client", ["sh", "-c", """
            n=0; until wget -q -O- http://127.0.0.1:8080/ 2>/dev/null || [ $n -ge 400 ]; do n=$((n+1)); sleep 0.05; done; \
            echo "client host $(hostname), server host $(cat /data/server-host)"
            """])
        var r = nestctl(["pod", "create", "--name", name, "--hostname", "podhost"])
        XCTAssertEqual(r.code, 0, r.stderr)
        XCTAssertEqual(r.stdout, name + "\n")
        r = nestctl(["run", "-d", "--pod", name, "--name", "server", "-v", volume + ":/data", server])
        XCTAssertEqual(r.code, 0, r.stderr)
        let id = try pod(name).id
        XCTAssertEqual(r.stdout, id + "/server\n")
        // attached: its output is the client's, its status the client's
        r = nestctl(["run", "--pod", name, "--name", "client", "-v", volume + ":/data", client])
        XCTAssertEqual(r.code, 0, r.stderr)
        XCTAssertEqual(r.stdout, "page-from-the-server\nclient host podhost, server host podhost\n")

        // one config shows both, each container is POD/NAME to the other commands
        let xml = nestctl(["subsystem", name]).stdout
        XCTAssertTrue(xml.contains("<start name=\"server\">") && xml.contains("<start name=\"client\">"), xml)
        XCTAssertTrue(xml.contains("<share namespace=\"network\"/>"), xml)
        XCTAssertEqual(xml.components(separatedBy: "<start name=\"volume-\(volume)\">").count, 2, "one volume server for both: \(xml)")
        let ps = nestctl(["pod", "ps", name]).stdout
        XCTAssertTrue(ps.contains(name + "/server") && ps.contains("running") && ps.contains(name + "/client"), ps)
        XCTAssertEqual(try info(id + "%2Fclient").exitCode, 0)
        XCTAssertEqual(nestctl(["inspect", name + "/server"]).code, 0)
        XCTAssertTrue(nestctl(["logs", name + "/client"]).stdout.contains("page-from-the-server"))

        // the volume is the pod's while its config routes to it
        XCTAssertNotEqual(nestctl(["volume", "rm", volume]).code, 0)
        // a daemon killed and restarted finds both in the pod's config
        killDaemon()
        try startDaemon()
        XCTAssertEqual(try pod(name).containers.map(\.name), [name + "/server", name + "/client"])
        XCTAssertEqual(try pod(name).containers.map(\.state), ["running", "stopped"])
        // one more that removes itself, and one removed by rm: the config
        // no longer names them, nor the servers only they used
        r = nestctl(["run", "--rm", "--pod", name, "--name", "once", "-v", volume + ":/data", client])
        XCTAssertEqual(r.code, 0, r.stderr)
        XCTAssertEqual(r.stdout, "page-from-the-server\nclient host podhost, server host podhost\n")
        XCTAssertEqual(nestctl(["rm", name + "/client"]).code, 0)
        let left = nestctl(["subsystem", name]).stdout
        XCTAssertFalse(left.contains("client") || left.contains("once"), left)
        XCTAssertEqual(try pod(name).containers.map(\.name), [name + "/server"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/\(id)/+client"))

        // a pod with a running container is not removed without force
        XCTAssertNotEqual(nestctl(["pod", "rm", name]).code, 0)
        let p = try pod(name)
        XCTAssertEqual(p.state, "running")
        r = nestctl(["pod", "stop", "-t", "5", name])
        XCTAssertEqual(r.code, 0, r.stderr)
        XCTAssertEqual(try pod(name).containers.map(\.state), ["stopped"])
        r = nestctl(["pod", "rm", name])
        XCTAssertEqual(r.code, 0, r.stderr)
        assertGone(p)
        XCTAssertEqual(nestctl(["volume", "rm", volume]).code, 0)
    }

    func testAMakeJ4StyleJobOverOneSourceVolume() throws {
        let name = unique("build")
        let volume = unique("src")
        // Four workers per container, each orphaned at once (a subshell's
        // child): its container's nest-init, PID 1, must reap it. A
        // container reports the zombies its PID namespace still has once
        // its objects are there.
        func builder(_ part: String, then: String) -> [String] {
            ["sh", "-c", """
            for i in 1 2 3 4; do ( ( echo "object \(part)$i" > /src/\(part)$i.tmp && mv /src/\(part)$i.tmp /src/\(part)$i.o ) & ); done; \
            n=0; until [ -e /src/\(part)1.o ] && [ -e /src/\(part)2.o ] && [ -e /src/\(part)3.o ] && [ -e /src/\(part)4.o ] || [ $n -ge 1000 ]; do n=$((n+1)); sleep 0.02; done; n=0; \
            while [ $n -lt 200 ] && grep -q '^State:.*Z' /proc/[0-9]*/status 2>/dev/null; do n=$((n+1)); sleep 0.05; done; \
            z=$(grep -l '^State:.*Z' /proc/[0-9]*/status 2>/dev/null | wc -l); echo "\(part): zombies $z"; \(then)
            """]
        }
        let a = try makeBundle("a", builder("a", then: "touch /src/a.done"))
        let b = try makeBundle("b", builder("b", then: """
            n=0; until [ -e /src/a.done ] || [ $n -ge 1000 ]; do n=$((n+1)); sleep 0.02; done; \
            cat /src/a1.o /src/a2.o /src/a3.o /src/a4.o /src/b1.o /src/b2.o /src/b3.o /src/b4.o > /src/prog; echo linked
            """))
        XCTAssertEqual(nestctl(["pod", "create", "--name", name, "--pids", "64"]).code, 0)
        var r = nestctl(["run", "-d", "--pod", name, "--name", "a", "-v", volume + ":/src", a])
        XCTAssertEqual(r.code, 0, r.stderr)
        r = nestctl(["run", "--pod", name, "--name", "link", "-v", volume + ":/src", b])
        XCTAssertEqual(r.code, 0, r.stderr)
        XCTAssertEqual(r.stdout, "b: zombies 0\nlinked\n")
        XCTAssertEqual(nestctl(["wait", name + "/a"]).stdout, "0\n")
        XCTAssertEqual(nestctl(["logs", name + "/a"]).stdout, "a: zombies 0\n")
        let prog = try String(contentsOfFile: data + "/volumes/\(volume)/_data/prog", encoding: .utf8)
        XCTAssertEqual(prog, (1...4).map { "object a\($0)\n" }.joined() + (1...4).map { "object b\($0)\n" }.joined())
        let p = try pod(name)
        XCTAssertEqual(p.containers.map(\.name), [name + "/a", name + "/link"], "in <start> order")
        XCTAssertEqual(p.state, "stopped")
        XCTAssertEqual(nestctl(["pod", "rm", name]).code, 0)
        assertGone(p)
        XCTAssertEqual(nestctl(["volume", "rm", volume]).code, 0)
    }

    func testQuotaTreeOOMKillsOneContainerAndRefusesMoreThanTheParent() throws {
        let name = unique("quota")
        XCTAssertEqual(nestctl(["pod", "create", "--name", name, "--memory", "64m", "--pids", "100"]).code, 0)
        let calm = try makeBundle("calm", ["sleep", "1000"])
        let hog = try makeBundle("hog", ["sh", "-c", "head -c 104857600 /dev/zero | tail -c 104857600 >/dev/null"])
        var r = nestctl(["run", "-d", "--pod", name, "--name", "calm", calm])
        XCTAssertEqual(r.code, 0, r.stderr)
        r = nestctl(["run", "--pod", name, "--name", "hog", hog])
        XCTAssertEqual(r.code, 137, r.stderr)
        let id = try pod(name).id
        let hogInfo = try info(id + "%2Fhog")
        XCTAssertEqual(hogInfo.exitCode, 137)
        XCTAssertEqual(try info(id + "%2Fcalm").state, "running")

        // the tree: the pod's 64 MiB over each container's share of it
        let tree = try pod(name).quota
        XCTAssertEqual(tree.memoryLimit, 64 << 20)
        XCTAssertEqual(tree.pidsLimit, 100)
        XCTAssertEqual(tree.cgroup, "/nest/" + id)
        XCTAssertEqual(tree.children?.map(\.name), ["calm", "hog"])
        XCTAssertEqual(tree.children?.map(\.memoryLimit), [64 << 20, 64 << 20])
        XCTAssertEqual(tree.children?.first?.cgroup, "/nest/\(id)/calm")
        XCTAssertNotNil(tree.memoryUsage)
        XCTAssertGreaterThanOrEqual(tree.children?.first?.pidsCurrent ?? 0, 1)
        let inspected = nestctl(["inspect", name])
        XCTAssertTrue(inspected.stdout.contains("\"memoryLimit\" : 67108864") && inspected.stdout.contains("\"quota\""), inspected.stdout)
        let table = nestctl(["pod", "inspect", name])
        XCTAssertTrue(table.stdout.contains("/nest/\(id)/calm") && table.stdout.contains("64.0MiB"), table.stdout)

        // more than the parent: refused naming both, nothing made
        r = nestctl(["run", "-d", "--pod", name, "--name", "big", "--memory", "128m", calm])
        XCTAssertNotEqual(r.code, 0)
        XCTAssertTrue(r.stderr.contains("134217728") && r.stderr.contains("67108864") && r.stderr.contains("start[big]"), r.stderr)
        XCTAssertEqual(try pod(name).containers.count, 2)
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/" + id + "/+big"))
        XCTAssertEqual(cgroupDirs(id + "/big"), [])
        XCTAssertFalse(nestctl(["subsystem", name]).stdout.contains("big"))

        let p = try pod(name)
        XCTAssertEqual(nestctl(["pod", "rm", "-f", name]).code, 0)
        assertGone(p)
    }

    func testTheHandWrittenPodExampleRunsThroughNestd() throws {
        let bundle = try makeBundle("rootfs", ["true"])
        let volume = tmp + "/vol"
        try FileManager.default.createDirectory(atPath: volume, withIntermediateDirectories: true)
        let cgroup = unique("pod")
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: repo.appendingPathComponent("docs/examples/pod.xml"), encoding: .utf8)
            .replacingOccurrences(of: "@ROOTFS@", with: bundle + "/rootfs")
            .replacingOccurrences(of: "@VOLUME@", with: volume)
            .replacingOccurrences(of: "/nest/web", with: "/nest/" + cgroup)
        let file = tmp + "/pod.xml"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        var r = nestctl(["run", "--name", "web", "--subsystem", file])
        XCTAssertEqual(r.code, 0, r.stderr)
        XCTAssertEqual(r.stdout, "web\n")
        r = nestctl(["wait", "web/client"])
        XCTAssertEqual(r.stdout, "0\n", r.stderr)
        XCTAssertEqual(nestctl(["logs", "web/client"]).stdout, "hello from web\nclient on web\n")
        let p = try pod("web")
        XCTAssertEqual(p.containers.map(\.name), ["web/server", "web/client"])
        XCTAssertEqual(p.containers.map(\.state), ["running", "stopped"])
        XCTAssertEqual(p.quota.memoryLimit, 128 << 20)

        // a daemon killed and restarted finds the pod in its config
        killDaemon()
        try startDaemon()
        let again = try pod("web")
        XCTAssertEqual(again.containers.map(\.name), ["web/server", "web/client"])
        XCTAssertEqual(again.containers.map(\.state), ["running", "stopped"])
        XCTAssertEqual(nestctl(["logs", "web/client"]).stdout, "hello from web\nclient on web\n")

        XCTAssertEqual(nestctl(["pod", "rm", "-f", "web"]).code, 0)
        assertGone(p)
        XCTAssertEqual(cgroupDirs(cgroup), [])
    }
}

extension PodTests {
    func testContainersOfAnImageInAPodShareItsLayersAndLeaveNothing() throws {
        try makeBusyboxLayout(tmp + "/layout", config: ["Entrypoint": ["/bin/sh", "-c"], "Cmd": ["true"], "Env": ["PATH=/bin"]])
        XCTAssertEqual(nestctl(["image", "import", "--name", "busy", tmp + "/layout"]).code, 0)
        let name = unique("img")
        XCTAssertEqual(nestctl(["pod", "create", "--name", name]).code, 0)
        var r = nestctl(["run", "-d", "--pod", name, "--name", "a", "busy", "echo a > /tmp/mine; exec sleep 1000"])
        XCTAssertEqual(r.code, 0, r.stderr)
        r = nestctl(["run", "--pod", name, "--name", "b", "busy", "test -e /tmp/mine && echo shared || echo own rootfs; hostname"])
        XCTAssertEqual(r.code, 0, r.stderr)
        XCTAssertEqual(r.stdout, "own rootfs\n\(name)\n", "each its own overlay, the pod's hostname")
        let xml = nestctl(["subsystem", name]).stdout
        XCTAssertEqual(xml.components(separatedBy: "<overlay ").count, 3, "an overlay per container: \(xml)")
        let p = try pod(name)
        XCTAssertEqual(nestctl(["pod", "rm", "-f", name]).code, 0)
        assertGone(p)
        XCTAssertEqual(nestctl(["image", "rm", "busy"]).code, 0)
    }
}

extension PodTests {
    /// nestd killed inside `run --pod` (the holder's create, then a second
    /// container's): what the restarted daemon finds is what the pod's
    /// config and the runtime agree on. Before a unit's state is whole it
    /// is undone (and dropped from the config); once whole (create:state)
    /// it is kept, as the config names it: the holder, or a created
    /// container whose answer was lost.
    func testACrashInsideRunPodIsUndoneOrKeptWholeAtRestart() throws {
        let bundle = try makeBundle("b", ["sleep", "1000"])
        for point in ["create:cgroups", "create:state"] {
            let whole = point == "create:state"
            let name = unique("crash")
            XCTAssertEqual(nestctl(["pod", "create", "--name", name]).code, 0)
            let id = try pod(name).id
            // the first container makes the holder
            stopDaemon()
            try startDaemon(env: ["NEST_CRASH_AT": point])
            XCTAssertNotEqual(nestctl(["run", "-d", "--pod", name, "--name", "first", bundle]).code, 0)
            daemon?.wait()
            try startDaemon()
            XCTAssertEqual(try pod(name).containers.count, 0, point)
            XCTAssertEqual(FileManager.default.fileExists(atPath: root + "/" + id), whole, "\(point): the holder")
            XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/\(id)/+first"), point)
            XCTAssertEqual(cgroupDirs(id + "/first"), [], point)
            XCTAssertFalse(nestctl(["subsystem", name]).stdout.contains("first"), point)
            // a second container joins a live holder
            var r = nestctl(["run", "-d", "--pod", name, "--name", "first", bundle])
            XCTAssertEqual(r.code, 0, r.stderr)
            stopDaemon()
            try startDaemon(env: ["NEST_CRASH_AT": point])
            XCTAssertNotEqual(nestctl(["run", "-d", "--pod", name, "--name", "second", bundle]).code, 0)
            daemon?.wait()
            try startDaemon()
            let p = try pod(name)
            XCTAssertEqual(p.containers.map(\.name), [name + "/first"] + (whole ? [name + "/second"] : []), point)
            XCTAssertEqual(p.containers.map(\.state), ["running"] + (whole ? ["created"] : []), point)
            XCTAssertEqual(nestctl(["subsystem", name]).stdout.contains("second"), whole, point)
            XCTAssertEqual(FileManager.default.fileExists(atPath: root + "/\(id)/+second"), whole, point)
            if !whole { XCTAssertEqual(cgroupDirs(id + "/second"), [], point) }
            r = nestctl(["pod", "rm", "-f", name])
            XCTAssertEqual(r.code, 0, r.stderr)
            assertGone(p)
        }
    }
}
