import NestOCI

extension Subsystem {
    /// The subsystem as XML: deterministic, so equal models give equal bytes
    /// and a config can be diffed against a golden file.
    public func xml() -> String { xmlElement().document() }

    public func xmlElement() -> XMLElement {
        var root = XMLElement("subsystem", [("name", name), ("version", String(Subsystem.formatVersion)),
                                            ("oci-version", ociVersion)])
        if !bundle.isEmpty { root.set("bundle", bundle) }
        for a in annotations { root.children.append(XMLElement("annotation", [("key", a.key), ("value", a.value)])) }
        root.children.append(XMLElement("parent-provides", children: parentProvides.map { XMLElement("service", [("name", $0)]) }))
        for type in shared {
            var e = XMLElement("share", [("namespace", type)])
            if type == "network" { e.set("nic", sharedNic) }
            root.children.append(e)
        }
        if let quota { root.children += quota.xmlElements() }
        for start in starts { root.children.append(start.xmlElement()) }
        return root
    }
}

extension Start {
    func xmlElement() -> XMLElement {
        var e = XMLElement("start", [("name", name)])
        e.children.append(XMLElement("binary", [("name", binary)]))
        if !provides.isEmpty {
            e.children.append(XMLElement("provides", children: provides.map { XMLElement("service", [("name", $0)]) }))
        }
        if let container { e.children += container.resources.xmlElements() }
        var config = XMLElement("config")
        if let vfs { config.children.append(vfs.xmlElement()) }
        if let log {
            var l = XMLElement("log", [("format", log.format)])
            l.set("file", log.file)
            config.children.append(l)
        }
        if let rom {
            for m in rom.modules {
                var r = XMLElement("rom", [("name", m.name), ("content", m.content)])
                r.set("path", m.path)
                config.children.append(r)
            }
        }
        if let container { config.children += container.xmlElements() }
        if let net {
            var n = XMLElement("net", [("network", net.network), ("netns", net.netns)])
            n.set("address", net.address)
            config.children.append(n)
        }
        e.children.append(config)
        if !routes.isEmpty {
            e.children.append(XMLElement("route", children: routes.map { route in
                var svc = XMLElement("service", [("name", route.service)],
                           children: [route.child.map { XMLElement("child", [("name", $0)]) } ?? XMLElement("parent")])
                svc.set("label", route.label)
                return svc
            }))
        }
        return e
    }
}

extension VFSConfig {
    func xmlElement() -> XMLElement {
        var e = XMLElement("vfs", [("root", root)])
        e.set("readonly", readonly)
        e.set("propagation", propagation)
        e.set("mount-label", mountLabel)
        if let overlay {
            var oe = XMLElement("overlay", [("upper", overlay.upper), ("work", overlay.work)])
            oe.children = overlay.layers.map { XMLElement("layer", [("chain", $0.chain), ("path", $0.path)]) }
            e.children.append(oe)
        }
        for m in mounts {
            var me = XMLElement("mount", [("destination", m.destination), ("type", m.type), ("source", m.source)])
            if m.options.contains(where: { $0.contains(",") }) {
                me.add(values: m.options, as: "option")
            } else if !m.options.isEmpty {
                me.set("options", m.options.joined(separator: ","))
            }
            me.children += idMaps(uid: m.uidMappings, gid: m.gidMappings)
            e.children.append(me)
        }
        for d in devices {
            var de = XMLElement("device", [("path", d.path), ("type", d.type)])
            de.set("major", d.major)
            de.set("minor", d.minor)
            de.set("mode", octal: d.mode)
            de.set("uid", d.uid)
            de.set("gid", d.gid)
            e.children.append(de)
        }
        for s in symlinks { e.children.append(XMLElement("symlink", [("target", s.target), ("path", s.path)])) }
        for p in masked { e.children.append(XMLElement("masked", [("path", p)])) }
        for p in readonlyPaths { e.children.append(XMLElement("readonly", [("path", p)])) }
        return e
    }
}

func idMaps(uid: [Spec.IDMapping], gid: [Spec.IDMapping]) -> [XMLElement] {
    func element(_ name: String, _ m: Spec.IDMapping) -> XMLElement {
        XMLElement(name, [("container", String(m.containerID)), ("host", String(m.hostID)), ("size", String(m.size))])
    }
    return uid.map { element("uid-map", $0) } + gid.map { element("gid-map", $0) }
}
