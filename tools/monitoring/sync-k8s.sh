#!/bin/sh
# Copies the monitoring sources into k8s/monitoring/ (kustomize cannot read files outside its
# folder): the rule file and scrape config into the ConfigMap folder, the rule groups into the
# PrometheusRule, the dashboard JSON. Run after editing anything in tools/monitoring/;
# tests/k8s/check_manifests.py reports drift (check id monitoring-sync).
set -eu
root="$(cd "$(dirname "$0")/../.." && pwd)"
src="$root/tools/monitoring"
dst="$root/k8s/monitoring"
cp "$src/alerts.yml" "$src/prometheus.yml" "$dst/"
cp "$src/grafana/callmesh.json" "$dst/"
python3 - "$src/alerts.yml" "$dst/operator/prometheusrule.yaml" <<'PY'
import sys, yaml
rules = yaml.safe_load(open(sys.argv[1]))
doc = {
    "apiVersion": "monitoring.coreos.com/v1",
    "kind": "PrometheusRule",
    "metadata": {"name": "callmesh", "labels": {"app.kubernetes.io/part-of": "callmesh",
                                                 "role": "alert-rules"}},
    "spec": {"groups": rules["groups"]},
}
with open(sys.argv[2], "w") as f:
    f.write("# Generated from tools/monitoring/alerts.yml by tools/monitoring/sync-k8s.sh; do not edit.\n")
    class NoAliases(yaml.SafeDumper):
        def ignore_aliases(self, data):
            return True
    yaml.dump(doc, f, Dumper=NoAliases, sort_keys=False, width=100)
PY
echo "synced $dst"
