"""Constants and helpers shared by check_manifests.py and its check groups (manifest_*_checks.py)."""

import argparse
import fnmatch
import ipaddress
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
# The ingress's recording control (issue 19): a ZeroMQ port only the notification API may reach.
INGRESS_CONTROL_PORT = 7006
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
# SIP over TLS is opt-in (issue 21): k8s/components/tls adds the port, the Secret and the ingress
# keys of INGRESS_TLS_FRAGMENT, a ConfigMap key an init container inserts under `ingress:`.
SIP_TLS_PORT = 5061
INGRESS_TLS_SECRET = "callmesh-ingress-tls"
INGRESS_TLS_FRAGMENT = "ingress-tls.yaml"

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


def dockerignored(path, patterns):
    """True when Dockerfile.dockerignore keeps `path` (repository-relative) out of the context."""
    parts = path.strip("/").split("/")
    for pattern in patterns:
        bare = pattern[3:] if pattern.startswith("**/") else pattern
        for i in range(len(parts)):
            prefix = "/".join(parts[:i + 1])
            if fnmatch.fnmatch(prefix, pattern) or (bare != pattern and fnmatch.fnmatch(parts[i], bare)):
                return True
    return False


def image_input_problems(dockerfile):
    """What would break docker/Dockerfile only at build time: a COPY source missing from the
    repository or kept out of the context by Dockerfile.dockerignore, and a console build that
    ignores CONSOLE_OUT_DIR (the Node stage builds into /out/console with it)."""
    root = os.path.join(os.path.dirname(DOCKERFILE), "..")
    try:
        with open(os.path.join(os.path.dirname(DOCKERFILE), "Dockerfile.dockerignore")) as f:
            ignored = [l.strip() for l in f if l.strip() and not l.startswith("#")]
        with open(os.path.join(root, "services", "notification", "console", "vite.config.ts")) as f:
            vite = f.read()
    except OSError as e:
        return [f"cannot read an image input: {e}"]
    problems = []
    for line in dockerfile.splitlines():
        words = line.split()
        if not words or words[0] != "COPY" or any(w.startswith("--from") for w in words):
            continue
        for src in [w for w in words[1:-1] if not w.startswith("--")]:
            if src == ".":
                continue
            if not os.path.exists(os.path.join(root, src)):
                problems.append(f"docker/Dockerfile copies {src}, which is not in the repository")
            elif dockerignored(src, ignored):
                problems.append(f"docker/Dockerfile copies {src}, which Dockerfile.dockerignore excludes")
    if "CONSOLE_OUT_DIR=/out/console" in dockerfile and "CONSOLE_OUT_DIR" not in vite:
        problems.append("the console's vite.config.ts ignores CONSOLE_OUT_DIR: the image would "
                        "carry no console at /out/console")
    return problems


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
