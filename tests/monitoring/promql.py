"""Helpers for the monitoring tests: a private Prometheus over a callmesh cluster, and the metric
names that PromQL expressions (alert rules, dashboard panels) refer to.

Prometheus is Debian's `prometheus` (2.42), started on a free port with its own temporary storage
and stopped by pid. Its scrape configuration is tools/monitoring/prometheus.yml itself, with
Kubernetes pod discovery swapped for static targets that carry the same __meta_kubernetes_* labels
a pod would, so the relabelling that production relies on (job="callmesh-<service>") is exercised
too: Debian builds Prometheus without Kubernetes discovery."""

import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
MONITORING = os.path.join(ROOT, "tools", "monitoring")
ALERTS = os.path.join(MONITORING, "alerts.yml")
PROMETHEUS_YML = os.path.join(MONITORING, "prometheus.yml")
DASHBOARD = os.path.join(MONITORING, "grafana", "callmesh.json")

sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from child_processes import popen  # noqa: E402
from cluster import free_port, wait_until  # noqa: E402


# -- configuration -----------------------------------------------------------------------------
def pod_targets(targets):
    """static_configs standing in for Kubernetes pods. `targets`: [(service, replica, port)]."""
    out = []
    for service, replica, port in targets:
        out.append({"targets": [f"127.0.0.1:{port}"], "labels": {
            "__meta_kubernetes_pod_label_app_kubernetes_io_part_of": "callmesh",
            "__meta_kubernetes_pod_label_app_kubernetes_io_name": f"callmesh-{service}",
            "__meta_kubernetes_pod_annotation_prometheus_io_scrape": "true",
            "__meta_kubernetes_pod_annotation_prometheus_io_port": str(port),
            "__meta_kubernetes_pod_annotation_prometheus_io_path": "/metrics",
            "__meta_kubernetes_pod_container_port_name": "admin",
            "__meta_kubernetes_pod_ip": "127.0.0.1",
            "__meta_kubernetes_pod_name": f"callmesh-{service}-{replica}",
            "__meta_kubernetes_namespace": "callmesh",
        }})
    return out


def local_config(targets, rule_file, interval="1s"):
    """tools/monitoring/prometheus.yml with static pod targets and a fast scrape/eval interval."""
    with open(PROMETHEUS_YML) as f:
        cfg = yaml.safe_load(f)
    cfg = copy.deepcopy(cfg)
    cfg["global"].update({"scrape_interval": interval, "evaluation_interval": interval,
                          "scrape_timeout": interval})
    cfg["rule_files"] = [rule_file]
    for sc in cfg["scrape_configs"]:
        if "kubernetes_sd_configs" in sc:
            del sc["kubernetes_sd_configs"]
            sc["static_configs"] = pod_targets(targets)
    return cfg


# -- a running Prometheus ----------------------------------------------------------------------
class Prometheus:
    def __init__(self, targets, rule_file=ALERTS, workdir=None):
        self.dir = workdir or tempfile.mkdtemp(prefix="callmesh-prom-")
        self.port = free_port()
        self.config = os.path.join(self.dir, "prometheus.yml")
        with open(self.config, "w") as f:
            yaml.safe_dump(local_config(targets, rule_file), f, sort_keys=False)
        self.proc = None

    def start(self):
        self.log = open(os.path.join(self.dir, "prometheus.log"), "ab")
        self.proc = popen(
            ["prometheus", f"--config.file={self.config}",
             f"--storage.tsdb.path={os.path.join(self.dir, 'data')}",
             f"--web.listen-address=127.0.0.1:{self.port}", "--storage.tsdb.retention.time=1h",
             "--web.enable-lifecycle"],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        wait_until(self._ready, 30, 0.2, what="prometheus /-/ready")
        return self

    def _ready(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"prometheus exited with {self.proc.returncode}: see {self.dir}/prometheus.log")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/-/ready", timeout=1) as r:
                return r.status == 200
        except OSError:
            return False

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.log.close()

    def cleanup(self):
        self.stop()
        if not os.environ.get("CALLMESH_KEEP_E2E_DIR"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def api(self, path, **params):
        url = f"http://127.0.0.1:{self.port}/api/v1/{path}"
        data = urllib.parse.urlencode(params).encode() if params else None
        try:
            with urllib.request.urlopen(url, data=data, timeout=10) as r:
                body = json.loads(r.read().decode())
        except urllib.error.HTTPError as e:
            body = json.loads(e.read().decode())
        return body

    def query(self, expr, at=None):
        """Instant vector result: [(labels, value)]. Raises on a PromQL error."""
        params = {"query": expr}
        if at is not None:
            params["time"] = f"{at:.3f}"
        body = self.api("query", **params)
        if body.get("status") != "success":
            raise AssertionError(f"query {expr!r} failed: {body.get('errorType')}: {body.get('error')}")
        data = body["data"]
        if data["resultType"] == "scalar":
            return [({}, float(data["result"][1]))]
        return [(r["metric"], float(r["value"][1])) for r in data["result"]]

    def value(self, expr, at=None):
        """The single value of a query that aggregates to one series (None when empty)."""
        result = self.query(expr, at)
        if not result:
            return None
        if len(result) != 1:
            raise AssertionError(f"{expr!r} returned {len(result)} series: {result}")
        return result[0][1]

    def targets(self):
        return self.api("targets")["data"]["activeTargets"]

    def alerts(self, name=None):
        out = [a for a in self.api("alerts")["data"]["alerts"]]
        return [a for a in out if name is None or a["labels"].get("alertname") == name]


# -- expressions and the metric names they use -------------------------------------------------
KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring",
            "group_left", "group_right", "inf", "nan", "atan2", "start", "end"}
GRAFANA_VARS = [("$__rate_interval", "1m"), ("$__interval", "1m"), ("$__range", "1h"),
                ("${number}", ".*"), ("$number", ".*")]


def rule_expressions(path=ALERTS):
    with open(path) as f:
        rules = yaml.safe_load(f)
    out = []
    for group in rules["groups"]:
        for rule in group["rules"]:
            out.append((f"{path}: {rule.get('alert') or rule.get('record')}", rule["expr"]))
    return out


def dashboard_expressions(path=DASHBOARD):
    with open(path) as f:
        dash = json.load(f)  # raises on invalid JSON
    out = []

    def panels(items):
        for p in items:
            yield p
            yield from panels(p.get("panels", []))

    for p in panels(dash.get("panels", [])):
        for t in p.get("targets", []):
            out.append((f"{os.path.basename(path)}: panel '{p.get('title')}' {t.get('refId')}", t["expr"]))
    for var in dash.get("templating", {}).get("list", []):
        query = var.get("query")
        if isinstance(query, dict):
            query = query.get("query")
        if var.get("type") == "query" and query:
            m = re.fullmatch(r"\s*label_values\((.+),\s*\w+\)\s*", query)
            out.append((f"{os.path.basename(path)}: variable {var['name']}", m.group(1) if m else query))
    return out


def grafana_to_promql(expr):
    for var, value in GRAFANA_VARS:
        expr = expr.replace(var, value)
    return expr


def metric_names(expr):
    """Metric names a PromQL expression selects (a lexical scan, good for the expressions we
    write: selectors by name, aggregations, functions, binary operators)."""
    e = grafana_to_promql(expr)
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', e)            # string literals
    e = re.sub(r"'(?:[^'\\]|\\.)*'", "''", e)
    names = set()
    # {__name__="..."} selectors are not used by us; refuse them so the check stays exact.
    if "__name__" in e:
        raise ValueError(f"__name__ matchers are not checked: {expr}")
    e = re.sub(r"\{[^{}]*\}", " ", e)                     # label matchers
    e = re.sub(r"\[[^\]]*\]", " ", e)                     # ranges, subqueries
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)", " ", e)
    for m in re.finditer(r"(?<![\w:.])([A-Za-z_:][\w:]*)", e):
        name = m.group(1)
        rest = e[m.end():].lstrip()
        if name.lower() in KEYWORDS or rest.startswith("("):
            continue
        names.add(name)
    return names


def exposed_names(metrics_text):
    """Every sample name a /metrics page can produce, from its # TYPE lines (so a family with no
    children yet still counts) and its samples."""
    names = set()
    for line in metrics_text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(None, 3)
            names.add(name)
            if kind.strip() in ("histogram", "summary"):
                names.update({name + "_sum", name + "_count"})
                if kind.strip() == "histogram":
                    names.add(name + "_bucket")
        elif line and not line.startswith("#"):
            names.add(re.split(r"[{ ]", line, 1)[0])
    return names


# Series Prometheus makes itself (not on any /metrics page).
PROMETHEUS_SERIES = {"up", "ALERTS", "ALERTS_FOR_STATE", "scrape_duration_seconds",
                     "scrape_samples_scraped"}
