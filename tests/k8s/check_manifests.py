#!/usr/bin/env python3
"""Checks the invariants of callmesh's Kubernetes manifests.

Usage:
  check_manifests.py [--kubectl PATH] [--expect-violations ID,ID,...] PATH...

Each PATH is a kustomization folder (rendered with `kubectl kustomize`), a folder holding several
of them (every kustomization below it that is not a Component: k8s/ gives base and each overlay),
or a plain YAML file. Every rendered tree is checked on its own. Each failed check prints one line
"FAIL <tree> <check-id>: <what is wrong>"; the last line is "N passed, M failed".

Exit status: 0 when nothing failed, 1 when a check failed, 2 on a usage error, 77 when kubectl is
missing (ctest reports the test as skipped).

--expect-violations turns it into a self-test of the checker: the exit status is 0 only when each
listed check id failed at least once, as it must on a deliberately broken manifest.
"""

import argparse
import os
import shutil
import subprocess
import sys
from collections import Counter

try:
    import yaml
except ImportError:  # pragma: no cover - depends on the machine
    sys.stderr.write("check_manifests: PyYAML is missing (Debian package python3-yaml)\n")
    sys.exit(2)

EXIT_SKIP = 77

# The fixed contract: service -> (ZeroMQ port or None, admin port).
SERVICES = {
    "ingress": (None, 9460),
    "router": (7001, 9461),
    "concurrency-limiter": (7002, 9462),
    "agent-presence": (7003, 9463),
    "notification": (7004, 9464),
}
# More ZeroMQ ports, held to the same rules: the router publishes its config epoch (RoutingNotice)
# to the ingresses, which reuse decisions under it.
EXTRA_ZMQ_PORTS = {"router": [7005]}
# Containers beside a service that are not callmesh services: the ingress's media relay (issue 19).
SIDECARS = {"rtpengine"}
AUTOSCALED = ["ingress", "router", "concurrency-limiter", "agent-presence", "notification"]
# Who may reach a ZeroMQ port besides the ingress: notification's API asks agent-presence.
ZMQ_CLIENTS = {"agent-presence": ["ingress", "notification"]}
CONFIG_DIR = "/etc/callmesh"
CONFIG_FILE = CONFIG_DIR + "/cluster.yaml"
# notification starts from cluster.yaml + its API tokens (Secret), merged by an init container.
MERGED_CONFIG_DIR = "/run/callmesh"
MERGED_CONFIG_FILE = MERGED_CONFIG_DIR + "/cluster.yaml"
NOTIFICATION_API_PORT = 8080
# Where docker/Dockerfile puts the built agent console; notification.console_dir must name it.
CONSOLE_DIR_IN_IMAGE = "/usr/share/callmesh/console"
DOCKERFILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docker", "Dockerfile")
# Issue 18: ZeroMQ keys (CURVE) per service, and the replicated services reached through headless
# Services so each ingress connects to every replica.
ZMQ_KEYS_DIR = "/etc/callmesh-zmq"
HEADLESS_ENDPOINTS = ("router", "concurrency_limiter")
MONITORING_KINDS = ("ConfigMap", "PrometheusRule", "PodMonitor")
MONITORING_SOURCES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "monitoring")
CONFIG_KEYS = ("cluster.yaml", "routing.yaml")
REDIS_PORT = 6379
INGRESS_MIN_GRACE_SECONDS = 60
SIP_PORT = 5060

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
WORKLOAD_KINDS = ("Deployment", "StatefulSet")


class Report:
    """Collects the outcome of every check of one run."""

    def __init__(self):
        self.passed = 0
        self.failures = []  # (tree, check_id, message)

    def check(self, tree, check_id, ok, message):
        if ok:
            self.passed += 1
        else:
            self.failures.append((tree, check_id, message))
            print(f"FAIL {tree} {check_id}: {message}")
        return ok


# ---------------------------------------------------------------------------------------------
# Loading


def find_trees(path):
    """Kustomization folders to render for PATH, or the file itself."""
    if os.path.isfile(path):
        return [path]
    if is_kustomization(path):
        return [path]
    trees = []
    for dirpath, dirnames, _ in os.walk(path):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        if is_kustomization(dirpath):
            trees.append(dirpath)
    return trees


def kustomization_file(folder):
    for name in KUSTOMIZATION_FILES:
        candidate = os.path.join(folder, name)
        if os.path.isfile(candidate):
            return candidate
    return None


def is_kustomization(folder):
    """True for a kustomization that renders on its own (a Component does not)."""
    kfile = kustomization_file(folder)
    if kfile is None:
        return False
    with open(kfile, encoding="utf-8") as f:
        doc = yaml.safe_load(f) or {}
    return doc.get("kind", "Kustomization") != "Component"


def render(tree, kubectl):
    """Returns (documents, error message)."""
    if os.path.isfile(tree):
        with open(tree, encoding="utf-8") as f:
            text = f.read()
    else:
        try:
            proc = subprocess.run([kubectl, "kustomize", tree], capture_output=True, text=True,
                                  timeout=60, check=False)
        except subprocess.TimeoutExpired:
            return [], "kubectl kustomize timed out after 60 s"
        if proc.returncode != 0:
            return [], f"kubectl kustomize failed: {proc.stderr.strip()}"
        text = proc.stdout
    try:
        docs = [d for d in yaml.safe_load_all(text) if isinstance(d, dict)]
    except yaml.YAMLError as e:
        return [], f"output is not YAML: {e}"
    return docs, None


# ---------------------------------------------------------------------------------------------
# Helpers over Kubernetes objects


def name_of(obj):
    return obj.get("metadata", {}).get("name", "?")


def namespace_of(obj):
    return obj.get("metadata", {}).get("namespace")


def ref(obj):
    return f"{obj.get('kind')}/{name_of(obj)}"


def pod_spec(workload):
    return workload.get("spec", {}).get("template", {}).get("spec", {}) or {}


def pod_labels(workload):
    return workload.get("spec", {}).get("template", {}).get("metadata", {}).get("labels", {}) or {}


def selector_matches(selector, labels):
    """A LabelSelector (matchLabels + matchExpressions) against a label map. None matches nothing;
    an empty selector matches everything, as in Kubernetes."""
    if selector is None:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def service_selects(service, labels):
    selector = service.get("spec", {}).get("selector")
    if not selector:
        return False
    return all(labels.get(k) == v for k, v in selector.items())


def image_problem(image):
    """None when the image names a fixed version (a tag other than latest, or a digest)."""
    if not image:
        return "has no image"
    if "@" in image:
        return None
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return f"image {image!r} has no tag (that means latest)"
    tag = last.split(":", 1)[1]
    if tag == "latest":
        return f"image {image!r} uses the tag latest"
    return None


def port_number(container, port):
    """Resolves a probe port (number or container port name)."""
    if isinstance(port, int):
        return port
    for p in container.get("ports") or []:
        if p.get("name") == port:
            return p.get("containerPort")
    return None


def probe_problem(container, kind, path, admin_port):
    probe = container.get(kind)
    if not probe:
        return f"has no {kind}"
    if admin_port is None:  # not a callmesh service: any probe handler will do
        if not any(h in probe for h in ("httpGet", "tcpSocket", "exec", "grpc")):
            return f"{kind} has no handler"
        return None
    http = probe.get("httpGet")
    if not http:
        return f"{kind} is not an httpGet on the admin port"
    if http.get("path") != path:
        return f"{kind} asks {http.get('path')!r}, not {path!r}"
    if port_number(container, http.get("port")) != admin_port:
        return f"{kind} asks port {http.get('port')!r}, not the admin port {admin_port}"
    return None


def resources_problem(container):
    resources = container.get("resources") or {}
    missing = [f"{part}.{res}" for part in ("requests", "limits") for res in ("cpu", "memory")
               if not (resources.get(part) or {}).get(res)]
    return f"resources lack {', '.join(missing)}" if missing else None


def security_problem(pod, container):
    pod_ctx = pod.get("securityContext") or {}
    ctx = container.get("securityContext") or {}
    problems = []
    if not ctx.get("runAsNonRoot", pod_ctx.get("runAsNonRoot", False)):
        problems.append("runAsNonRoot is not true")
    if ctx.get("runAsUser", pod_ctx.get("runAsUser")) == 0:
        problems.append("runAsUser is 0")
    if not ctx.get("readOnlyRootFilesystem", False):
        problems.append("readOnlyRootFilesystem is not true")
    if ctx.get("allowPrivilegeEscalation", True):
        problems.append("allowPrivilegeEscalation is not false")
    return "; ".join(problems) if problems else None


def service_ports(service):
    return {(p.get("port"), p.get("protocol", "TCP")) for p in service.get("spec", {}).get("ports") or []}


def parse_host_port(text):
    """"host:port" -> (host, port), or None."""
    host, _, port = str(text).rpartition(":")
    return (host, int(port)) if host and port.isdigit() else None


def parse_tcp_endpoint(endpoint):
    """'tcp://host:port' -> (host, port) or None."""
    if not isinstance(endpoint, str) or not endpoint.startswith("tcp://"):
        return None
    host, _, port = endpoint[len("tcp://"):].rpartition(":")
    try:
        return host, int(port)
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------------
# Checks


class TreeChecker:
    def __init__(self, tree, docs, report):
        self.tree = tree
        self.docs = docs
        self.report = report

    def of_kind(self, kind):
        return [d for d in self.docs if d.get("kind") == kind]

    def find(self, kind, name):
        for d in self.of_kind(kind):
            if name_of(d) == name:
                return d
        return None

    def check(self, check_id, ok, message):
        return self.report.check(self.tree, check_id, ok, message)

    def run(self):
        workloads = [d for d in self.docs if d.get("kind") in WORKLOAD_KINDS]
        self.check("workloads", bool(workloads), "renders no Deployment or StatefulSet")
        for w in workloads:
            self.check_containers(w)
            self.check_disruption_budget(w)
            self.check_service_selects(w)
            if self.admin_port_of(w) is not None:  # one of the five callmesh services
                self.check_config_mount(w)
                self.check_zmq_keys(w)
                self.check_scrape_annotations(w)
        self.check_contract_services()
        self.check_ingress()
        self.check_media_sidecar()
        self.check_autoscalers()
        self.check_redis()
        self.check_config_endpoints()
        self.check_network_policies()
        self.check_notification_api()
        self.check_notification_console()

    # Every container of every workload ----------------------------------------------------

    def admin_port_of(self, workload):
        for svc, (_, admin) in SERVICES.items():
            if name_of(workload) == f"callmesh-{svc}":
                return admin
        return None

    def check_containers(self, workload):
        pod = pod_spec(workload)
        containers = pod.get("containers") or []
        self.check("containers", bool(containers), f"{ref(workload)} has no containers")
        admin = self.admin_port_of(workload)
        for c in containers:
            where = f"{ref(workload)} container {c.get('name')}"
            # A sidecar that is not a callmesh service (the ingress's rtpengine) probes its own port.
            own_admin = None if c.get("name") in SIDECARS else admin
            for check_id, kind, path in (("readiness-probe", "readinessProbe", "/readyz"),
                                         ("liveness-probe", "livenessProbe", "/healthz")):
                problem = probe_problem(c, kind, path, own_admin)
                self.check(check_id, problem is None, f"{where} {problem}")
            problem = resources_problem(c)
            self.check("resources", problem is None, f"{where} {problem}")
            problem = image_problem(c.get("image"))
            self.check("image-tag", problem is None, f"{where} {problem}")
            problem = security_problem(pod, c)
            self.check("security-context", problem is None, f"{where}: {problem}")
        for c in pod.get("initContainers") or []:
            where = f"{ref(workload)} init container {c.get('name')}"
            problem = resources_problem(c)
            self.check("resources", problem is None, f"{where} {problem}")
            problem = image_problem(c.get("image"))
            self.check("image-tag", problem is None, f"{where} {problem}")
            problem = security_problem(pod, c)
            self.check("security-context", problem is None, f"{where}: {problem}")
        grace = pod.get("terminationGracePeriodSeconds")
        self.check("grace-period", isinstance(grace, int) and grace > 0,
                   f"{ref(workload)} sets no terminationGracePeriodSeconds")

    def check_disruption_budget(self, workload):
        labels = pod_labels(workload)
        budgets = [p for p in self.of_kind("PodDisruptionBudget")
                   if namespace_of(p) == namespace_of(workload)
                   and selector_matches(p.get("spec", {}).get("selector"), labels)]
        self.check("pdb", len(budgets) >= 1, f"no PodDisruptionBudget selects {ref(workload)}")
        self.check("pdb", len(budgets) <= 1,
                   f"{ref(workload)} is selected by several PodDisruptionBudgets "
                   f"({', '.join(name_of(b) for b in budgets)}); evictions would fail")

    def check_service_selects(self, workload):
        labels = pod_labels(workload)
        services = [s for s in self.of_kind("Service")
                    if namespace_of(s) == namespace_of(workload) and service_selects(s, labels)]
        self.check("service", bool(services), f"no Service selects the pods of {ref(workload)}")
        if workload.get("kind") == "StatefulSet":
            governing = self.find("Service", workload.get("spec", {}).get("serviceName"))
            self.check("service", governing is not None
                       and governing.get("spec", {}).get("clusterIP") == "None",
                       f"{ref(workload)} serviceName does not name a headless Service")

    def check_config_mount(self, workload):
        pod = pod_spec(workload)
        volumes = {v.get("name"): v for v in pod.get("volumes") or []}
        for c in pod.get("containers") or []:
            if c.get("name") in SIDECARS:
                continue  # not a callmesh service: reads no cluster.yaml (check_media_sidecar)
            where = f"{ref(workload)} container {c.get('name')}"
            mounts = [m for m in c.get("volumeMounts") or [] if m.get("mountPath") == CONFIG_DIR]
            if not self.check("config-mount", len(mounts) == 1, f"{where} mounts nothing at {CONFIG_DIR}"):
                continue
            mount = mounts[0]
            self.check("config-mount", "subPath" not in mount and "subPathExpr" not in mount,
                       f"{where} mounts {CONFIG_DIR} with a subPath, which never sees ConfigMap updates")
            volume = volumes.get(mount.get("name")) or {}
            cm_name = (volume.get("configMap") or {}).get("name")
            if not self.check("config-mount", cm_name is not None,
                              f"{where}: volume {mount.get('name')!r} at {CONFIG_DIR} is not a ConfigMap"):
                continue
            cm = self.find("ConfigMap", cm_name)
            if not self.check("config-mount", cm is not None,
                              f"{where} mounts ConfigMap {cm_name!r}, which the tree does not define"):
                continue
            missing = [k for k in CONFIG_KEYS if k not in (cm.get("data") or {})]
            self.check("config-mount", not missing, f"ConfigMap {cm_name} lacks {', '.join(missing)}")
            argv = list(c.get("command") or []) + list(c.get("args") or [])
            ok = any(argv[i] == "--config" and argv[i + 1] == CONFIG_FILE for i in range(len(argv) - 1))
            if not ok and any(argv[i] == "--config" and argv[i + 1] == MERGED_CONFIG_FILE
                              for i in range(len(argv) - 1)):
                ok = self.merged_config_ok(pod, c, volumes, where)
            self.check("config-mount", ok, f"{where} is not started with --config {CONFIG_FILE} "
                                           f"(or {MERGED_CONFIG_FILE} written by an init container)")

    def merged_config_ok(self, pod, container, volumes, where):
        """--config in MERGED_CONFIG_DIR: an emptyDir there, written by an init container that
        mounts the ConfigMap at CONFIG_DIR (notification: cluster.yaml + tokens from a Secret)."""
        mine = [m for m in container.get("volumeMounts") or [] if m.get("mountPath") == MERGED_CONFIG_DIR]
        if not self.check("config-mount", len(mine) == 1, f"{where} mounts nothing at {MERGED_CONFIG_DIR}"):
            return False
        vol = mine[0].get("name")
        if not self.check("config-mount", "emptyDir" in (volumes.get(vol) or {}),
                          f"{where}: {MERGED_CONFIG_DIR} is not an emptyDir"):
            return False
        writers = [i for i in pod.get("initContainers") or []
                   if any(m.get("name") == vol and not m.get("readOnly") for m in i.get("volumeMounts") or [])
                   and any(m.get("mountPath") == CONFIG_DIR and
                           ((volumes.get(m.get("name")) or {}).get("configMap") or {}).get("name")
                           for m in i.get("volumeMounts") or [])]
        return self.check("config-mount", bool(writers),
                          f"{where}: no init container writes {MERGED_CONFIG_DIR} from the ConfigMap")

    def check_zmq_keys(self, workload):
        """The service's own CURVE keypair (Secret callmesh-zmq-<service>, never another's) and
        cluster.pub are mounted at ZMQ_KEYS_DIR in its main container."""
        svc = name_of(workload)[len("callmesh-"):]
        spec = pod_spec(workload)
        volumes = {v.get("name"): v for v in spec.get("volumes") or []}
        main = (spec.get("containers") or [{}])[0]
        mounts = [m for m in main.get("volumeMounts") or [] if m.get("mountPath") == ZMQ_KEYS_DIR]
        if not self.check("zmq-keys", len(mounts) == 1, f"{ref(workload)} mounts nothing at {ZMQ_KEYS_DIR}"):
            return
        sources = (volumes.get(mounts[0].get("name")) or {}).get("projected", {}).get("sources") or []
        secrets = [s["secret"] for s in sources if "secret" in s]
        self.check("zmq-keys", [s.get("name") for s in secrets] == [f"callmesh-zmq-{svc}"]
                   and not any(s.get("optional") for s in secrets),
                   f"{ref(workload)} must mount exactly its own Secret callmesh-zmq-{svc} (not optional)")
        files = {i.get("path") for s in sources for part in s.values() for i in part.get("items") or []}
        self.check("zmq-keys", {f"{svc}.key", "cluster.pub"} <= files,
                   f"{ref(workload)} {ZMQ_KEYS_DIR} lacks {svc}.key or cluster.pub")

    def check_scrape_annotations(self, workload):
        annotations = workload.get("spec", {}).get("template", {}).get("metadata", {}).get("annotations") or {}
        admin = self.admin_port_of(workload)
        ok = (annotations.get("prometheus.io/scrape") == "true"
              and (admin is None or annotations.get("prometheus.io/port") == str(admin)))
        self.check("prometheus-annotations", ok,
                   f"{ref(workload)} pod template lacks prometheus.io/scrape \"true\" and "
                   f"prometheus.io/port \"{admin}\"")

    # The fixed set of services ----------------------------------------------------------------

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

    def check_config_endpoints(self):
        """Every address in cluster.yaml names a Service of this tree with that port."""
        for cm in self.of_kind("ConfigMap"):
            text = (cm.get("data") or {}).get("cluster.yaml")
            if text is None:
                continue
            try:
                config = yaml.safe_load(text) or {}
            except yaml.YAMLError as e:
                self.check("config-endpoints", False, f"ConfigMap {name_of(cm)} cluster.yaml is not YAML: {e}")
                continue
            redis = config.get("redis") or {}
            if redis.get("sentinels"):
                # Sentinel-managed Redis (issue 18): every sentinel address is a Service's port.
                addresses = [("redis.sentinels", parse_host_port(s)) for s in redis.get("sentinels")]
                self.check("config-endpoints", bool(redis.get("master_name")),
                           f"ConfigMap {name_of(cm)} cluster.yaml has sentinels but no master_name")
            elif redis.get("cluster_nodes"):
                addresses = []
                self.check_cluster_nodes(cm, redis.get("cluster_nodes"))
            else:
                addresses = [("redis", (redis.get("host"), redis.get("port")))]
            for section in ("router", "concurrency_limiter", "agent_presence", "notification"):
                endpoints = (config.get(section) or {}).get("endpoint")
                # One endpoint or a list of them (issue 18): each must name a Service and port.
                for endpoint in endpoints if isinstance(endpoints, list) else [endpoints]:
                    address = parse_tcp_endpoint(endpoint)
                    addresses.append((f"{section}.endpoint", address))
                    if section in HEADLESS_ENDPOINTS and address is not None:
                        service = self.find("Service", address[0])
                        self.check("headless-endpoints",
                                   service is not None and service.get("spec", {}).get("clusterIP") == "None",
                                   f"cluster.yaml {section}.endpoint {endpoint} is not a headless Service: an "
                                   "ingress would connect to one replica only")
            zmq = config.get("zmq") or {}
            self.check("zmq-curve", str(zmq.get("curve", "on")).lower() not in ("off", "false"),
                       f"ConfigMap {name_of(cm)} cluster.yaml turns zmq.curve off: any pod could set "
                       "presence or release slots")
            self.check("zmq-curve", zmq.get("keys_dir") == ZMQ_KEYS_DIR,
                       f"ConfigMap {name_of(cm)} cluster.yaml zmq.keys_dir is {zmq.get('keys_dir')!r}, "
                       f"not the keys' mount {ZMQ_KEYS_DIR}")
            for key, address in addresses:
                if not self.check("config-endpoints", address is not None and None not in address,
                                  f"ConfigMap {name_of(cm)} cluster.yaml has no usable {key}"):
                    continue
                host, port = address
                service = self.find("Service", host)
                self.check("config-endpoints", service is not None and (port, "TCP") in service_ports(service),
                           f"cluster.yaml {key} is {host}:{port}, but no Service {host} has port {port}/TCP")
            routing = (config.get("router") or {}).get("routing_file")
            if routing is not None:
                self.check("config-endpoints", routing in (cm.get("data") or {}),
                           f"cluster.yaml router.routing_file {routing!r} is not a key of ConfigMap {name_of(cm)}")
                try:
                    yaml.safe_load((cm.get("data") or {}).get(routing, ""))
                    ok = True
                except yaml.YAMLError:
                    ok = False
                self.check("config-endpoints", ok, f"ConfigMap {name_of(cm)} {routing} is not YAML")

    def check_cluster_nodes(self, cm, nodes):
        """Redis Cluster (issue 18 item 3): each seed is a pod of the Redis StatefulSet by its stable
        name (<pod>.<governing headless Service>), on a port that Service has; the StatefulSet runs
        every pod named, with --cluster-enabled yes (here or in the start script it runs), and the
        cluster bus (port + 10000) is open between the Redis pods."""
        redis = self.find("StatefulSet", "callmesh-redis")
        if not self.check("redis-cluster", redis is not None,
                          f"ConfigMap {name_of(cm)} cluster.yaml has cluster_nodes but no StatefulSet callmesh-redis"):
            return
        governing = redis.get("spec", {}).get("serviceName")
        replicas = int(redis.get("spec", {}).get("replicas") or 1)
        headless = self.find("Service", governing) if governing else None
        for node in nodes:
            address = parse_host_port(str(node))
            if not self.check("config-endpoints", address is not None and None not in address,
                              f"cluster.yaml redis.cluster_nodes entry {node!r} is not host:port"):
                continue
            host, port = address
            pod, _, service = host.partition(".")
            ordinal = pod.rsplit("-", 1)[-1]
            self.check("config-endpoints",
                       service.split(".")[0] == governing and pod.startswith("callmesh-redis-")
                       and ordinal.isdigit() and int(ordinal) < replicas,
                       f"cluster.yaml redis.cluster_nodes {node} is not a pod of StatefulSet callmesh-redis "
                       f"({replicas} pods behind {governing})")
            self.check("config-endpoints",
                       headless is not None and headless.get("spec", {}).get("clusterIP") == "None"
                       and (port, "TCP") in service_ports(headless),
                       f"cluster.yaml redis.cluster_nodes {node}: no headless Service {governing} with "
                       f"port {port}/TCP")
        self.check("redis-cluster", replicas >= 6,
                   f"StatefulSet callmesh-redis has {replicas} pods: a cluster of three masters with a "
                   "replica each needs 6")
        containers = pod_spec(redis).get("containers") or []
        argv = [str(a) for c in containers for a in list(c.get("command") or []) + list(c.get("args") or [])]
        # The flag is on the command line, or in a start script (a ConfigMap key) the command runs.
        started = " ".join(argv)
        scripts = [text for m in self.of_kind("ConfigMap") for key, text in (m.get("data") or {}).items()
                   if key in started]
        enabled = (any(argv[i] == "--cluster-enabled" and argv[i + 1] == "yes" for i in range(len(argv) - 1))
                   or any("--cluster-enabled yes" in text for text in scripts))
        self.check("redis-cluster", enabled,
                   "StatefulSet callmesh-redis does not start redis-server with --cluster-enabled yes")
        labels = pod_labels(redis)
        bus = REDIS_PORT + 10000
        opened = False
        for p in self.of_kind("NetworkPolicy"):
            if not selector_matches(p.get("spec", {}).get("podSelector"), labels):
                continue
            for rule in p.get("spec", {}).get("ingress") or []:
                if not rule_opens_port(rule, bus):
                    continue
                peers = rule.get("from") or [{}]
                # Only Redis pods may speak the cluster bus: a node accepts gossip from any peer.
                only_redis = all(peer.get("podSelector") not in (None, {}) and "namespaceSelector" not in peer
                                 and selector_matches(peer.get("podSelector"), labels) for peer in peers)
                self.check("redis-cluster", only_redis,
                           f"NetworkPolicy {name_of(p)} opens the cluster bus {bus} to {peers}, not only to the "
                           "Redis pods")
                opened = opened or only_redis
        self.check("redis-cluster", opened,
                   f"no NetworkPolicy opens the cluster bus port {bus} between the Redis pods: the nodes "
                   "could not gossip or fail over")

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


    def check_notification_console(self):
        """The agent console ships: every cluster.yaml the notification pods read serves it from
        the folder where the image carries it (docker/Dockerfile copies the Vite build there)."""
        if self.find("Deployment", "callmesh-notification") is None:
            return  # a partial tree (the checker's own test data): nothing serves the console
        for cm in self.of_kind("ConfigMap"):
            text = (cm.get("data") or {}).get("cluster.yaml")
            if text is None:
                continue
            notification = (yaml.safe_load(text) or {}).get("notification") or {}
            got = notification.get("console_dir")
            self.check("notification-console", got == CONSOLE_DIR_IN_IMAGE,
                       f"ConfigMap {name_of(cm)} cluster.yaml notification.console_dir is {got!r}, "
                       f"not {CONSOLE_DIR_IN_IMAGE!r} where the image carries the console")
        try:
            with open(DOCKERFILE) as f:
                dockerfile = f.read()
        except OSError as e:
            self.check("notification-console", False, f"cannot read {DOCKERFILE}: {e}")
            return
        self.check("notification-console", f"/out/console {CONSOLE_DIR_IN_IMAGE}" in dockerfile,
                   f"docker/Dockerfile does not copy the built console to {CONSOLE_DIR_IN_IMAGE}")

    def check_notification_api(self):
        """notification's HTTP API: on its Service and container as "api" 8080, bound beyond
        loopback in cluster.yaml, admitted by a NetworkPolicy, and no tokens in the ConfigMap."""
        workload = self.find("Deployment", "callmesh-notification")
        service = self.find("Service", "callmesh-notification")
        if workload is None or service is None:
            return  # reported by contract-services
        ports = {p.get("name"): p for p in service.get("spec", {}).get("ports") or []}
        self.check("notification-api", (ports.get("api") or {}).get("port") == NOTIFICATION_API_PORT,
                   f"Service callmesh-notification has no port api {NOTIFICATION_API_PORT}")
        cports = [p for c in pod_spec(workload).get("containers") or [] for p in c.get("ports") or []]
        self.check("notification-api", any(p.get("containerPort") == NOTIFICATION_API_PORT for p in cports),
                   f"callmesh-notification declares no containerPort {NOTIFICATION_API_PORT}")
        for cm in self.of_kind("ConfigMap"):
            text = (cm.get("data") or {}).get("cluster.yaml")
            if text is None:
                continue
            notification = (yaml.safe_load(text) or {}).get("notification") or {}
            api = str(notification.get("api", "127.0.0.1:8080"))
            self.check("notification-api", api == f"0.0.0.0:{NOTIFICATION_API_PORT}",
                       f"cluster.yaml notification.api is {api!r}: pods must bind 0.0.0.0:{NOTIFICATION_API_PORT}")
            self.check("secrets", not notification.get("tokens"),
                       f"ConfigMap {name_of(cm)} holds API tokens: they belong in a Secret")
        labels = pod_labels(workload)
        admitted = any(selector_matches(p.get("spec", {}).get("podSelector"), labels)
                       and any(rule_opens_port(r, NOTIFICATION_API_PORT) and r.get("from")
                               for r in p.get("spec", {}).get("ingress") or [])
                       for p in self.of_kind("NetworkPolicy"))
        self.check("notification-api", admitted, f"no NetworkPolicy admits port {NOTIFICATION_API_PORT} of notification")
        secrets = [v for v in pod_spec(workload).get("volumes") or [] if "secret" in v]
        self.check("secrets", bool(secrets), "callmesh-notification mounts no Secret for its API tokens")


class MonitoringChecker:
    """k8s/monitoring and k8s/monitoring/operator: what they carry equals tools/monitoring/."""

    def __init__(self, tree, docs, report):
        self.tree, self.docs, self.report = tree, docs, report

    def check(self, check_id, ok, message):
        return self.report.check(self.tree, check_id, ok, message)

    def source(self, name):
        with open(os.path.join(MONITORING_SOURCES, name), encoding="utf-8") as f:
            return f.read()

    def run(self):
        alerts = yaml.safe_load(self.source("alerts.yml"))
        for d in self.docs:
            kind, name = d.get("kind"), name_of(d)
            if kind == "ConfigMap":
                for key, text in (d.get("data") or {}).items():
                    src = {"prometheus.yml": "prometheus.yml", "alerts.yml": "alerts.yml",
                           "callmesh.json": os.path.join("grafana", "callmesh.json")}.get(key)
                    self.check("monitoring-sync", src is not None and text == self.source(src),
                               f"ConfigMap {name} {key} differs from tools/monitoring "
                               f"(run tools/monitoring/sync-k8s.sh)")
            elif kind == "PrometheusRule":
                self.check("monitoring-sync", d.get("spec", {}).get("groups") == alerts["groups"],
                           f"PrometheusRule {name} differs from tools/monitoring/alerts.yml "
                           f"(run tools/monitoring/sync-k8s.sh)")
            elif kind == "PodMonitor":
                eps = d.get("spec", {}).get("podMetricsEndpoints") or []
                self.check("monitoring-scrape", any(e.get("port") == "admin" for e in eps),
                           f"PodMonitor {name} does not scrape the admin port")
        self.check("monitoring-sync", any(d.get("kind") in ("ConfigMap", "PrometheusRule") for d in self.docs),
                   "renders neither the rule ConfigMap nor a PrometheusRule")


def rule_opens_port(rule, port):
    ports = rule.get("ports")
    if not ports:
        return True
    for p in ports:
        start = p.get("port")
        if start is None:
            return True
        if isinstance(start, int) and start <= port <= p.get("endPort", start):
            return True
        if not isinstance(start, int):
            return True  # a named port: assume the worst
    return False


# ---------------------------------------------------------------------------------------------


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", metavar="PATH")
    parser.add_argument("--kubectl", default=os.environ.get("KUBECTL") or shutil.which("kubectl") or "/usr/bin/kubectl")
    parser.add_argument("--expect-violations", metavar="IDS",
                        help="comma-separated check ids that must fail (self-test on broken input)")
    args = parser.parse_args(argv)

    trees = []
    for path in args.paths:
        if not os.path.exists(path):
            parser.error(f"{path} does not exist")
        found = find_trees(path)
        if not found:
            parser.error(f"{path} holds no kustomization")
        trees.extend(found)
    if any(os.path.isdir(t) for t in trees) and not os.access(args.kubectl, os.X_OK):
        print(f"SKIP: kubectl not found ({args.kubectl}); cannot render kustomizations")
        return EXIT_SKIP

    report = Report()
    for tree in trees:
        shown = os.path.relpath(tree)
        docs, error = render(tree, args.kubectl)
        if report.check(shown, "render", error is None, error or ""):
            print(f"checking {shown}: {len(docs)} objects")
            if docs and all(d.get("kind") in MONITORING_KINDS for d in docs) and \
                    not any(d.get("kind") in WORKLOAD_KINDS for d in docs):
                MonitoringChecker(shown, docs, report).run()
            else:
                TreeChecker(shown, docs, report).run()

    status = 1 if report.failures else 0
    if args.expect_violations:
        expected = [i.strip() for i in args.expect_violations.split(",") if i.strip()]
        seen = Counter(check_id for _, check_id, _ in report.failures)
        status = 0
        for check_id in expected:
            if seen[check_id]:
                print(f"expected violation {check_id}: reported {seen[check_id]} time(s)")
            else:
                print(f"expected violation {check_id}: NOT reported")
                status = 1
    print(f"{report.passed} passed, {len(report.failures)} failed")
    return status


if __name__ == "__main__":
    sys.exit(main())
