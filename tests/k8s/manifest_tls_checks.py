"""Checks of SIP over TLS at the ingress (issue 21), opt-in through k8s/components/tls. A tree
without it has nothing TLS: no port 5061 anywhere, no Secret callmesh-ingress-tls for the pod to
wait for, no tls_* key (ingress-tls-off). A tree with it has everything TLS consistent with the
ingress keys the ingress really reads: cluster.yaml's, plus the ConfigMap key ingress-tls.yaml
when an init container inserts it and the ingress starts from the merged file (ingress-tls)."""

from manifest_common import *  # noqa: F401,F403 (constants and helpers of every check)


def argv_of(container):
    return [str(a) for a in list(container.get("command") or []) + list(container.get("args") or [])]


def config_arg(container):
    """The file a service container is started with (--config FILE or --config=FILE)."""
    argv = argv_of(container)
    for i, a in enumerate(argv):
        if a == "--config" and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith("--config="):
            return a[len("--config="):]
    return None


def explicitly_opens(rule, port):
    """A rule that names `port` among its ports (a rule with no ports opens everything, which the
    network-policy checks judge; here only a deliberate TLS opening counts)."""
    for p in rule.get("ports") or []:
        start = p.get("port")
        if isinstance(start, int) and start <= port <= p.get("endPort", start):
            return True
        if start == "sip-tls":
            return True
    return False


def secret_names(volume):
    names = [(volume.get("secret") or {}).get("secretName")]
    names += [(s.get("secret") or {}).get("name") for s in (volume.get("projected") or {}).get("sources") or []]
    return {n for n in names if n}


class TlsChecks:
    """Mixed into TreeChecker (check_manifests.py): uses its of_kind, find, check and tree."""

    def ingress_sections(self, ingress, cm):
        """(cluster.yaml's ingress section, [(ConfigMap key, its ingress keys)] for each fragment an
        init container inserts under `ingress:` into the file the ingress starts from)."""
        data = cm.get("data") or {}
        try:
            config = yaml.safe_load(data.get("cluster.yaml", "")) or {}
        except yaml.YAMLError:
            return {}, []  # reported by config-endpoints
        pod = pod_spec(ingress)
        main = (pod.get("containers") or [{}])[0]
        fragments = []
        if config_arg(main) == MERGED_CONFIG_FILE:
            scripts = " ".join(" ".join(argv_of(c)) for c in pod.get("initContainers") or [])
            for key, text in sorted(data.items()):
                if key in CONFIG_KEYS or f"{CONFIG_DIR}/{key}" not in scripts:
                    continue
                try:
                    keys = (yaml.safe_load("ingress:\n" + text) or {}).get("ingress") or {}
                except yaml.YAMLError as e:
                    self.check("ingress-tls", False, f"ConfigMap {name_of(cm)} {key} is not YAML lines "
                                                     f"under ingress: ({e})")
                    continue
                fragments.append((key, keys if isinstance(keys, dict) else {}))
        return config.get("ingress") or {}, fragments

    def ingress_sip_services(self, ingress):
        labels = pod_labels(ingress)
        return [s for s in self.of_kind("Service")
                if service_selects(s, labels) and (SIP_PORT, "TCP") in service_ports(s)]

    def check_ingress_tls(self):
        ingress = self.find("Deployment", "callmesh-ingress")
        cm = self.find("ConfigMap", "callmesh-config")
        if ingress is None or cm is None:
            return
        own, fragments = self.ingress_sections(ingress, cm)
        section = dict(own)
        for key, keys in fragments:
            for k in keys:
                self.check("ingress-tls", k not in own,
                           f"cluster.yaml sets ingress.{k} and ConfigMap key {key} inserts it again "
                           "(a duplicate key; the init container refuses to start)")
            section.update(keys)
        read = {key for key, _ in fragments}
        self.check("ingress-tls", INGRESS_TLS_FRAGMENT not in (cm.get("data") or {}) or INGRESS_TLS_FRAGMENT in read,
                   f"ConfigMap {name_of(cm)} carries {INGRESS_TLS_FRAGMENT} (components/tls), but the ingress "
                   f"does not start from a {MERGED_CONFIG_FILE} an init container merged it into: its TLS "
                   "keys are never read")
        if fragments:
            scripts = " ".join(" ".join(argv_of(c)) for c in pod_spec(ingress).get("initContainers") or [])
            self.check("ingress-tls", "--check" in scripts,
                       "the init container that merges the ingress's cluster.yaml does not validate it "
                       "(callmesh-ingress --check): a bad merge would show only as a crash loop")
        port = section.get("tls_port") or 0
        if port:
            self.check_tls_on(ingress, section, port)
        else:
            self.check_tls_off(ingress, section)

    def check_tls_on(self, ingress, section, port):
        """The ingress container opens tls_port over TCP, every Service carrying its SIP carries it
        and the SIP NetworkPolicy opens it, and the folder of tls_cert_file/tls_key_file/
        tls_ca_file is a whole Secret volume (no subPath: the kubelet must be able to update it for
        the ingress to re-read it), not optional, holding those files."""
        pod = pod_spec(ingress)
        main = (pod.get("containers") or [{}])[0]
        ports = {(p.get("containerPort"), p.get("protocol", "TCP")) for p in main.get("ports") or []}
        self.check("ingress-tls", (port, "TCP") in ports,
                   f"ingress tls_port {port} is not a TCP containerPort of {main.get('name')}")
        for service in self.ingress_sip_services(ingress):
            self.check("ingress-tls", (port, "TCP") in service_ports(service),
                       f"Service {name_of(service)} carries the ingress's SIP but lacks the TLS port "
                       f"{port}/TCP (components/tls must come after the component that adds it)")
        policy = self.find("NetworkPolicy", "callmesh-ingress-sip")
        self.check("ingress-tls", policy is None or any(explicitly_opens(r, port) or not r.get("ports")
                                                        for r in policy.get("spec", {}).get("ingress") or []),
                   f"NetworkPolicy callmesh-ingress-sip does not open the TLS port {port}/TCP")
        files = [section.get(k) for k in ("tls_cert_file", "tls_key_file", "tls_ca_file") if section.get(k)]
        folders = {os.path.dirname(f) for f in files}
        if not self.check("ingress-tls", len(folders) == 1,
                          f"tls_cert_file, tls_key_file and tls_ca_file are not in one folder: {files}"):
            return
        folder = folders.pop()
        volumes = {v.get("name"): v for v in pod.get("volumes") or []}
        mounts = [m for m in main.get("volumeMounts") or [] if m.get("mountPath") == folder]
        if not self.check("ingress-tls", len(mounts) == 1 and not mounts[0].get("subPath"),
                          f"ingress mounts no whole volume at {folder} (TLS files; subPath never updates)"):
            return
        secret = (volumes.get(mounts[0].get("name")) or {}).get("secret")
        self.check("ingress-tls", bool(secret) and not secret.get("optional"),
                   f"ingress {folder} is not a required Secret volume")
        items = (secret or {}).get("items")
        if items:
            paths = {i.get("path") for i in items}
            missing = sorted(os.path.basename(f) for f in files if os.path.basename(f) not in paths)
            self.check("ingress-tls", not missing, f"ingress TLS Secret volume lacks {missing}")

    def check_tls_off(self, ingress, section):
        """Without tls_port nothing TLS is left over: a port 5061 would be opened to no listener,
        and a Secret volume callmesh-ingress-tls (required) would keep the pod from starting in a
        deployment that has no certificate, the very thing TLS being opt-in avoids."""
        keys = sorted(k for k in section if str(k).startswith("tls_"))
        self.check("ingress-tls-off", not keys,
                   f"ingress sets {', '.join(keys)} without tls_port: TLS keys belong to components/tls")
        pod = pod_spec(ingress)
        for c in pod.get("containers") or []:
            opened = [p for p in c.get("ports") or []
                      if p.get("containerPort") == SIP_TLS_PORT or p.get("name") == "sip-tls"]
            self.check("ingress-tls-off", not opened,
                       f"ingress container {c.get('name')} declares the TLS port {SIP_TLS_PORT} without tls_port")
        labels = pod_labels(ingress)
        for s in self.of_kind("Service"):
            if not service_selects(s, labels):
                continue
            tls = [p for p in s.get("spec", {}).get("ports") or []
                   if p.get("port") == SIP_TLS_PORT or p.get("name") == "sip-tls"]
            self.check("ingress-tls-off", not tls,
                       f"Service {name_of(s)} carries the TLS port {SIP_TLS_PORT} to an ingress without tls_port")
        for p in self.of_kind("NetworkPolicy"):
            if not selector_matches(p.get("spec", {}).get("podSelector"), labels):
                continue
            self.check("ingress-tls-off",
                       not any(explicitly_opens(r, SIP_TLS_PORT) for r in p.get("spec", {}).get("ingress") or []),
                       f"NetworkPolicy {name_of(p)} opens the TLS port {SIP_TLS_PORT} of an ingress without tls_port")
        for v in pod.get("volumes") or []:
            self.check("ingress-tls-off", INGRESS_TLS_SECRET not in secret_names(v),
                       f"ingress volume {v.get('name')} needs the Secret {INGRESS_TLS_SECRET} though TLS is "
                       "off: a deployment without it would wait for it")
