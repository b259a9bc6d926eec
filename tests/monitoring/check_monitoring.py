#!/usr/bin/env python3
"""Static checks of tools/monitoring/ (ctest monitoring_static; no cluster needed):

* the Grafana dashboard JSON parses, is what grafana/generate_dashboard.py produces, has unique
  panel ids and at least one query per panel;
* every PromQL expression of the alert rules and the dashboard selects at least one metric, and
  every metric it names is defined in the services' code (a callmesh_* family built with
  prometheus-cpp, or a process_* metric of shared/metrics/process_collector.cpp) or made by
  Prometheus itself (up, ALERTS). The live counterpart, against a running cluster's /metrics, is
  tests/monitoring/prometheus_e2e_test.py;
* `promtool check rules` on alerts.yml, `promtool test rules` on alerts_test.yml, and
  `promtool check config` on prometheus.yml (its Kubernetes discovery swapped for static targets:
  Debian's Prometheus is built without it).

Exit 0 when all pass, 1 with every problem listed, 77 (skipped) without promtool."""

import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import promql  # noqa: E402

SUFFIXES = ("_bucket", "_sum", "_count")


def code_metric_names():
    """Metric family names that appear as string literals in services/ and shared/ C++."""
    names = set()
    for path in glob.glob(os.path.join(promql.ROOT, "services", "**", "*.cpp"), recursive=True) + \
            glob.glob(os.path.join(promql.ROOT, "services", "**", "*.h"), recursive=True) + \
            glob.glob(os.path.join(promql.ROOT, "shared", "**", "*.cpp"), recursive=True) + \
            glob.glob(os.path.join(promql.ROOT, "shared", "**", "*.h"), recursive=True):
        if path.endswith("_test.cpp"):
            continue
        with open(path, errors="replace") as f:
            text = f.read()
        names.update(re.findall(r'"((?:callmesh|process)_[a-z0-9_]+)"', text))
        # TimedRedisClient builds "callmesh_" + service + "_redis_duration_seconds"
        for svc in re.findall(r'TimedRedisClient\s+\w+\([^;]*?"([a-z_]+)"\)', text):
            names.add(f"callmesh_{svc}_redis_duration_seconds")
    return names


def defined(name, known):
    if name in known or name in promql.PROMETHEUS_SERIES:
        return True
    return any(name.endswith(s) and name[: -len(s)] in known for s in SUFFIXES)


def main():
    problems = []
    promtool = shutil.which("promtool")
    if not promtool:
        print("promtool not found (Debian package prometheus): skipped")
        return 77

    # Dashboard JSON.
    gen = subprocess.run([sys.executable, os.path.join(promql.MONITORING, "grafana", "generate_dashboard.py"),
                          "--check"], capture_output=True, text=True)
    if gen.returncode != 0:
        problems.append("dashboard: " + (gen.stderr or gen.stdout).strip())
    import json
    with open(promql.DASHBOARD) as f:
        dash = json.load(f)
    ids = [p["id"] for p in dash["panels"]]
    if len(ids) != len(set(ids)):
        problems.append("dashboard: duplicate panel ids")
    for p in dash["panels"]:
        if p["type"] != "row" and not p.get("targets"):
            problems.append(f"dashboard: panel '{p['title']}' has no query")

    # Expressions -> names -> defined in code.
    known = code_metric_names()
    exprs = promql.rule_expressions() + promql.dashboard_expressions()
    used = set()
    for where, expr in exprs:
        try:
            names = promql.metric_names(expr)
        except ValueError as e:
            problems.append(f"{where}: {e}")
            continue
        if not names:
            problems.append(f"{where}: selects no metric: {expr}")
        for n in sorted(names):
            used.add(n)
            if not defined(n, known):
                problems.append(f"{where}: metric '{n}' is not defined by any service")
    print(f"{len(exprs)} expressions, {len(used)} metric names, all defined in code"
          if not problems else f"{len(exprs)} expressions checked")

    # promtool.
    def run(argv, cwd=None):
        r = subprocess.run(argv, capture_output=True, text=True, cwd=cwd)
        print("$ " + " ".join(argv) + "\n" + (r.stdout + r.stderr).strip())
        if r.returncode != 0:
            problems.append(f"{' '.join(argv)} failed")

    run([promtool, "check", "rules", promql.ALERTS])
    run([promtool, "test", "rules", "alerts_test.yml"], cwd=HERE)
    with tempfile.TemporaryDirectory(prefix="callmesh-promcfg-") as tmp:
        cfg = promql.local_config([("ingress", "0", 9460)], os.path.join(tmp, "alerts.yml"), interval="15s")
        shutil.copy(promql.ALERTS, os.path.join(tmp, "alerts.yml"))
        with open(os.path.join(tmp, "prometheus.yml"), "w") as f:
            yaml.safe_dump(cfg, f, sort_keys=False)
        run([promtool, "check", "config", os.path.join(tmp, "prometheus.yml")])

    for p in problems:
        print("PROBLEM: " + p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
