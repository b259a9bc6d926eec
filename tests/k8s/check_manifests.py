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

from manifest_common import *  # noqa: F401,F403 (constants and helpers of every check)
from manifest_config_checks import ConfigChecks
from manifest_service_checks import ServiceChecks
from manifest_tls_checks import TlsChecks
from manifest_workload_checks import WorkloadChecks


class TreeChecker(WorkloadChecks, ServiceChecks, TlsChecks, ConfigChecks):
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
        self.check_ingress_tls()
        self.check_media_sidecar()
        self.check_autoscalers()
        self.check_redis()
        self.check_config_endpoints()
        self.check_network_policies()
        self.check_notification_api()
        self.check_notification_console()
        self.check_notification_proxies()

    # Every container of every workload ----------------------------------------------------


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
                self.check("monitoring-scrape", any(e.get("port") in ("admin", "media-metrics") for e in eps),
                           f"PodMonitor {name} scrapes neither the admin port nor rtpengine's media-metrics")
        # Issue 19: with the Operator, rtpengine beside each ingress is scraped too, under the job the
        # plain scrape config gives it (tools/monitoring/prometheus.yml job callmesh-rtpengine).
        monitors = [d for d in self.docs if d.get("kind") == "PodMonitor"]
        if monitors:
            self.check("monitoring-scrape", any(rtpengine_monitor(d) for d in monitors),
                       "no PodMonitor scrapes rtpengine (port media-metrics of the callmesh-ingress pods, "
                       "job callmesh-rtpengine)")
        self.check("monitoring-sync", any(d.get("kind") in ("ConfigMap", "PrometheusRule") for d in self.docs),
                   "renders neither the rule ConfigMap nor a PrometheusRule")


def rtpengine_monitor(monitor):
    """A PodMonitor that scrapes the ingress pods' rtpengine sidecar (port media-metrics) as
    job="callmesh-rtpengine"."""
    spec = monitor.get("spec") or {}
    labels = (spec.get("selector") or {}).get("matchLabels") or {}
    exprs = (spec.get("selector") or {}).get("matchExpressions") or []
    selects_ingress = labels.get("app.kubernetes.io/name") == "callmesh-ingress" or any(
        e.get("key") == "app.kubernetes.io/name" and e.get("operator") == "In"
        and "callmesh-ingress" in (e.get("values") or []) for e in exprs)
    for ep in spec.get("podMetricsEndpoints") or []:
        relabels = ep.get("relabelings") or []
        job = any(r.get("targetLabel") == "job" and r.get("replacement") == "callmesh-rtpengine"
                  and not r.get("sourceLabels") for r in relabels)
        if selects_ingress and ep.get("port") == "media-metrics" and job:
            return True
    return False


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
