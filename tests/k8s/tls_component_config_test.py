#!/usr/bin/env python3
"""k8s/components/tls's init container, run for real (issue 21): the script it renders with, over
the cluster.yaml and ingress-tls.yaml the same tree renders, with its paths moved to a temporary
folder and the real callmesh-ingress binary of the build. It must write a cluster.yaml whose
ingress section is the original one plus the TLS keys, which `callmesh-ingress --check` accepts;
and it must refuse, naming the cause, a cluster.yaml without a top-level `ingress:` line and one
that sets a TLS key itself.

Usage: tls_component_config_test.py [--kubectl PATH] BUILD_DIR. Exit 77 when kubectl is missing."""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
TREES = [os.path.join(ROOT, "k8s", "overlays", "multi-location"),
         os.path.join(HERE, "testdata", "tls-over-sentinel")]
KUBECTL = os.environ.get("KUBECTL") or shutil.which("kubectl") or "/usr/bin/kubectl"
BUILD_DIR = os.environ.get("CALLMESH_BUILD_DIR", os.path.join(ROOT, "build"))


def rendered(tree):
    """(ConfigMap callmesh-config's data, the ingress's init container script) of `tree`."""
    out = subprocess.run([KUBECTL, "kustomize", tree], capture_output=True, text=True, timeout=60, check=True)
    docs = [d for d in yaml.safe_load_all(out.stdout) if isinstance(d, dict)]
    cm = next(d for d in docs if d.get("kind") == "ConfigMap" and d["metadata"]["name"] == "callmesh-config")
    ingress = next(d for d in docs if d.get("kind") == "Deployment" and d["metadata"]["name"] == "callmesh-ingress")
    init = next(c for c in ingress["spec"]["template"]["spec"]["initContainers"] if c["name"] == "config")
    command = init["command"]
    assert command[:2] == ["/bin/sh", "-ec"], command
    return cm["data"], command[2]


class TlsComponentInit(unittest.TestCase):
    def run_init(self, data, script):
        """Runs `script` over `data` (ConfigMap keys) in a temporary folder: (exit status, stderr,
        the merged cluster.yaml or None)."""
        folder = tempfile.mkdtemp(prefix="callmesh-tls-init-")
        self.addCleanup(shutil.rmtree, folder, True)
        etc, run = os.path.join(folder, "etc"), os.path.join(folder, "run")
        os.makedirs(etc)
        os.makedirs(run)
        for key, text in data.items():
            with open(os.path.join(etc, key), "w") as f:
                f.write(text)
        binary = os.path.join(BUILD_DIR, "services", "ingress", "callmesh-ingress")
        local = (script.replace("/etc/callmesh/", etc + "/").replace("/run/callmesh/", run + "/")
                 .replace("/usr/local/bin/callmesh-ingress", binary))
        proc = subprocess.run(["/bin/sh", "-ec", local], capture_output=True, text=True, timeout=30)
        merged = os.path.join(run, "cluster.yaml")
        if not os.path.exists(merged):
            return proc.returncode, proc.stderr, None
        with open(merged) as f:
            return proc.returncode, proc.stderr, f.read()

    def test_the_merged_cluster_yaml_has_the_tls_keys_and_passes_the_ingress_check(self):
        for tree in TREES:
            with self.subTest(tree=os.path.relpath(tree, ROOT)):
                data, script = rendered(tree)
                status, err, merged = self.run_init(data, script)
                self.assertEqual(status, 0, err)
                original = yaml.safe_load(data["cluster.yaml"])
                fragment = yaml.safe_load("ingress:\n" + data["ingress-tls.yaml"])["ingress"]
                got = yaml.safe_load(merged)
                self.assertEqual(got["ingress"], {**original["ingress"], **fragment})
                self.assertEqual(got["ingress"]["tls_port"], 5061)
                # Everything else as the tree's own cluster.yaml has it (sentinel's redis section).
                self.assertEqual({k: v for k, v in got.items() if k != "ingress"},
                                 {k: v for k, v in original.items() if k != "ingress"})

    def test_a_cluster_yaml_without_an_ingress_line_is_refused(self):
        data, script = rendered(TREES[0])
        data = dict(data, **{"cluster.yaml": data["cluster.yaml"].replace("\ningress:\n", "\ningress: {}\n")})
        status, err, _ = self.run_init(data, script)
        self.assertEqual(status, 1)
        self.assertIn("has no top-level 'ingress:' line", err)

    def test_a_tls_key_set_in_cluster_yaml_too_is_refused_by_name(self):
        data, script = rendered(TREES[0])
        data = dict(data, **{"cluster.yaml": data["cluster.yaml"].replace("\ningress:\n",
                                                                          "\ningress:\n  tls_port: 5071\n")})
        status, err, _ = self.run_init(data, script)
        self.assertEqual(status, 1)
        self.assertIn("sets ingress.tls_port itself", err)


if __name__ == "__main__":
    if not os.access(KUBECTL, os.X_OK):
        print(f"SKIP: kubectl not found ({KUBECTL})")
        sys.exit(77)
    unittest.main()
