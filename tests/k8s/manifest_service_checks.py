"""Checks of the cluster's Services and network: the contract Services, the SIP ingress, the media
sidecar, autoscalers, Redis, NetworkPolicies and the ingress control port (its TLS:
manifest_tls_checks.py)."""

from manifest_common import *  # noqa: F401,F403 (constants and helpers of every check)


class ServiceChecks:
    """Mixed into TreeChecker (check_manifests.py): uses its of_kind, find, check and tree."""

    def check_contract_services(self):
        for svc, (zmq, admin) in SERVICES.items():
            name = f"callmesh-{svc}"
            self.check("contract-services", self.find("Deployment", name) is not None,
                       f"no Deployment {name}")
            service = self.find("Service", name)
            if not self.check("contract-services", service is not None, f"no Service {name}"):
                continue
            wanted = {(admin, "TCP")}
            if zmq is not None:
                wanted.add((zmq, "TCP"))
            wanted |= {(port, "TCP") for port in EXTRA_ZMQ_PORTS.get(svc, [])}
            if svc == "ingress":
                wanted |= {(SIP_PORT, "UDP"), (SIP_PORT, "TCP")}
            missing = sorted(wanted - service_ports(service))
            self.check("contract-services", not missing,
                       f"Service {name} lacks port(s) {', '.join(f'{p}/{proto}' for p, proto in missing)}")
        self.check("contract-services", self.find("StatefulSet", "callmesh-redis") is not None,
                   "no StatefulSet callmesh-redis")

    def check_ingress(self):
        ingress = self.find("Deployment", "callmesh-ingress")
        if ingress is None:
            return  # reported by contract-services
        pod = pod_spec(ingress)
        grace = pod.get("terminationGracePeriodSeconds") or 0
        self.check("ingress-drain", grace >= INGRESS_MIN_GRACE_SECONDS,
                   f"ingress terminationGracePeriodSeconds is {grace}, under {INGRESS_MIN_GRACE_SECONDS}")
        for c in pod.get("containers") or []:
            self.check("ingress-drain", bool((c.get("lifecycle") or {}).get("preStop")),
                       f"ingress container {c.get('name')} has no preStop hook")
            env = {e.get("name"): e for e in c.get("env") or []}
            field = ((env.get("CALLMESH_POD_IP") or {}).get("valueFrom") or {}).get("fieldRef") or {}
            self.check("ingress-pod-ip", field.get("fieldPath") == "status.podIP",
                       f"ingress container {c.get('name')} lacks env CALLMESH_POD_IP from status.podIP")
        if pod.get("hostNetwork"):
            self.check("ingress-hostnetwork", pod.get("dnsPolicy") == "ClusterFirstWithHostNet",
                       "hostNetwork ingress needs dnsPolicy ClusterFirstWithHostNet to resolve Services")
            surge = ((ingress.get("spec", {}).get("strategy") or {}).get("rollingUpdate") or {}).get("maxSurge", "25%")
            self.check("ingress-hostnetwork", surge in (0, "0", "0%"),
                       f"hostNetwork ingress has maxSurge {surge}; a surge pod cannot bind port {SIP_PORT}")

    def check_media_sidecar(self):
        """The ingress's rtpengine (issue 19): its ng port on loopback only, the one cluster.yaml's
        media.rtpengine names, userspace forwarding, and its RTP port range open in a NetworkPolicy."""
        ingress = self.find("Deployment", "callmesh-ingress")
        if ingress is None:
            return
        sidecar = next((c for c in pod_spec(ingress).get("containers") or [] if c.get("name") == "rtpengine"), None)
        if sidecar is None:
            return
        argv = " ".join(list(sidecar.get("command") or []) + list(sidecar.get("args") or []))
        opts = dict(a.split("=", 1) for a in argv.split() if a.startswith("--") and "=" in a)
        ng = opts.get("--listen-ng", "")
        self.check("media-sidecar", ng.startswith("127.0.0.1:"),
                   f"rtpengine --listen-ng is {ng!r}, not on loopback (the ng protocol has no authentication)")
        self.check("media-sidecar", opts.get("--table") == "-1",
                   "rtpengine is not started with --table=-1 (userspace; no kernel module on the node)")
        cm = self.find("ConfigMap", "callmesh-config")
        config = yaml.safe_load((cm.get("data") or {}).get("cluster.yaml", "")) if cm else {}
        media = (config or {}).get("media") or {}
        self.check("media-sidecar", media.get("rtpengine") == ng,
                   f"cluster.yaml media.rtpengine is {media.get('rtpengine')!r}, rtpengine listens on {ng!r}")
        try:
            lo, hi = int(opts.get("--port-min", "0")), int(opts.get("--port-max", "0"))
        except ValueError:
            lo, hi = 0, 0
        labels = pod_labels(ingress)
        opened = any(selector_matches(p.get("spec", {}).get("podSelector"), labels)
                     and any(port.get("protocol") == "UDP" and port.get("port") == lo and port.get("endPort") == hi
                             for rule in p.get("spec", {}).get("ingress") or [] for port in rule.get("ports") or [])
                     for p in self.of_kind("NetworkPolicy"))
        self.check("media-sidecar", lo > 0 and opened,
                   f"no NetworkPolicy opens rtpengine's RTP ports {lo}-{hi}/UDP to the ingress pods")

    def check_autoscalers(self):
        hpas = self.of_kind("HorizontalPodAutoscaler")
        for hpa in hpas:
            self.check("hpa", hpa.get("apiVersion") == "autoscaling/v2",
                       f"{ref(hpa)} uses {hpa.get('apiVersion')}, not autoscaling/v2")
            target = hpa.get("spec", {}).get("scaleTargetRef") or {}
            self.check("hpa", self.find(target.get("kind"), target.get("name")) is not None,
                       f"{ref(hpa)} scales {target.get('kind')}/{target.get('name')}, which does not exist")
            spec = hpa.get("spec", {})
            self.check("hpa", spec.get("minReplicas", 1) <= spec.get("maxReplicas", 0),
                       f"{ref(hpa)} minReplicas {spec.get('minReplicas')} > maxReplicas {spec.get('maxReplicas')}")
        for svc in AUTOSCALED:
            name = f"callmesh-{svc}"
            targets = [h for h in hpas if (h.get("spec", {}).get("scaleTargetRef") or {}).get("name") == name]
            self.check("hpa", bool(targets), f"no HorizontalPodAutoscaler scales Deployment {name}")

    def check_redis(self):
        redis = self.find("StatefulSet", "callmesh-redis")
        if redis is None:
            return  # reported by contract-services
        containers = pod_spec(redis).get("containers") or []
        argv = [str(a) for c in containers for a in list(c.get("command") or []) + list(c.get("args") or [])]
        aof = any(argv[i] == "--appendonly" and argv[i + 1] == "yes" for i in range(len(argv) - 1))
        self.check("redis-aof", aof, "Redis is not started with --appendonly yes")
        claims = {t.get("metadata", {}).get("name") for t in redis.get("spec", {}).get("volumeClaimTemplates") or []}
        mounted = {m.get("name") for c in containers for m in c.get("volumeMounts") or []}
        self.check("redis-aof", bool(claims & mounted),
                   "Redis mounts no volume from its volumeClaimTemplates: the AOF would die with the pod")
        service = self.find("Service", "callmesh-redis")
        self.check("contract-services", service is not None and (REDIS_PORT, "TCP") in service_ports(service),
                   f"no Service callmesh-redis with port {REDIS_PORT}/TCP")

    def check_network_policies(self):
        """Every workload is fenced by a policy, and a ZeroMQ port is open to the ingress pods only."""
        policies = self.of_kind("NetworkPolicy")
        ingress = self.find("Deployment", "callmesh-ingress")
        ingress_labels = pod_labels(ingress) if ingress else {}
        for w in (d for d in self.docs if d.get("kind") in WORKLOAD_KINDS):
            fenced = [p for p in policies
                      if "Ingress" in (p.get("spec", {}).get("policyTypes") or ["Ingress"])
                      and selector_matches(p.get("spec", {}).get("podSelector"), pod_labels(w))]
            self.check("network-policy", bool(fenced), f"no NetworkPolicy restricts traffic into {ref(w)}")
        for svc, (zmq, _) in SERVICES.items():
            workload = self.find("Deployment", f"callmesh-{svc}")
            if zmq is None or workload is None:
                continue
            labels = pod_labels(workload)
            client_labels = [ingress_labels] + [
                pod_labels(self.find("Deployment", f"callmesh-{c}") or {})
                for c in ZMQ_CLIENTS.get(svc, []) if c != "ingress"]
            for p, port in ((p, port) for p in policies for port in [zmq] + EXTRA_ZMQ_PORTS.get(svc, [])):
                if not selector_matches(p.get("spec", {}).get("podSelector"), labels):
                    continue
                for rule in p.get("spec", {}).get("ingress") or []:
                    if not rule_opens_port(rule, port):
                        continue
                    for peer in rule.get("from") or [{}]:
                        pod_sel = peer.get("podSelector")
                        ok = ("ipBlock" in peer  # the hostNetwork ingress connects from its node
                              or (pod_sel is not None and "namespaceSelector" not in peer
                                  and pod_sel != {} and any(selector_matches(pod_sel, c) for c in client_labels)
                                  and not selector_matches(pod_sel, labels)))
                        self.check("network-policy", ok,
                                   f"NetworkPolicy {name_of(p)} opens ZeroMQ port {port} of callmesh-{svc} "
                                   f"to {peer or 'everyone'}, not only to the ingress")
        self.check_ingress_control(policies, ingress_labels)

    def check_ingress_control(self, policies, ingress_labels):
        """The ingress's recording control port (issue 19) is open to the notification pods only,
        and to them when cluster.yaml turns it on."""
        notification = self.find("Deployment", "callmesh-notification")
        notification_labels = pod_labels(notification) if notification else {}
        opened_to_notification = False
        for p in policies:
            if not selector_matches(p.get("spec", {}).get("podSelector"), ingress_labels):
                continue
            for rule in p.get("spec", {}).get("ingress") or []:
                if not rule.get("ports") or not rule_opens_port(rule, INGRESS_CONTROL_PORT):
                    continue
                for peer in rule.get("from") or [{}]:
                    pod_sel = peer.get("podSelector")
                    ok = ("ipBlock" not in peer and "namespaceSelector" not in peer and pod_sel
                          and selector_matches(pod_sel, notification_labels)
                          and not selector_matches(pod_sel, ingress_labels))
                    opened_to_notification = opened_to_notification or bool(ok)
                    self.check("network-policy", ok,
                               f"NetworkPolicy {name_of(p)} opens the ingress's recording control port "
                               f"{INGRESS_CONTROL_PORT} to {peer or 'everyone'}, not only to notification")
        uses_control = any("control_bind" in ((yaml.safe_load((cm.get("data") or {}).get("cluster.yaml") or "")
                                                or {}).get("ingress") or {})
                           for cm in self.of_kind("ConfigMap") if "cluster.yaml" in (cm.get("data") or {}))
        if uses_control and ingress_labels and notification_labels:
            self.check("network-policy", opened_to_notification,
                       f"ingress.control_bind is set but no NetworkPolicy opens port {INGRESS_CONTROL_PORT} "
                       "of the ingress pods to notification: recording cannot be stopped or started")
