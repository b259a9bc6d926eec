#!/usr/bin/env python3
"""The notification image serves the agent console (issue 17 item 8), checked by running it: a
redis-server on loopback, the image's callmesh-notification in a container on the host's network
namespace (so it listens on 127.0.0.1 only, on free ports), its cluster.yaml pointing
notification.console_dir at the folder the image carries. Then, with curl: GET / is the console's
index.html, and the script and stylesheet it loads come back 200 with their content types.

    tests/k8s/image_console_test.py --image callmesh/notification:0.1.0

By hand, not in CI: it needs a Docker daemon and a built image (tests/k8s/image_test.sh builds
one and runs this on it; k8s/README.md "Checking an image"). The container is removed whatever
happens (docker rm -f by its name), and redis-server is stopped by the e2e harness."""

import argparse
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from api_streams import ROUTING  # noqa: E402
from cluster import Cluster, wait_until  # noqa: E402

CONSOLE_DIR = "/usr/share/callmesh/console"  # docker/Dockerfile; k8s/base/config/cluster.yaml


class ImageCluster(Cluster):
    """redis-server as in the e2e tests; notification from `image` instead of the build tree."""

    def __init__(self, image):
        super().__init__(ROUTING, curve=False)
        self.image = image
        self.container = f"callmesh-console-test-{os.getpid()}"
        with open(self.config, "a") as f:
            f.write(f"  console_dir: {CONSOLE_DIR}\n")

    def start_service(self, svc):
        # The image runs as uid 10001: the config folder (mkdtemp's 0700) must be readable.
        os.chmod(self.dir, 0o755)
        for name in os.listdir(self.dir):
            path = os.path.join(self.dir, name)
            if os.path.isfile(path):
                os.chmod(path, 0o644)
        self._spawn(svc, ["docker", "run", "--rm", "--name", self.container, "--network", "host",
                          "-v", f"{self.dir}:{self.dir}:ro", self.image, "--config", self.config])
        # Slower than a local binary: the container starts first.
        wait_until(lambda: self.healthy(svc) or self.procs[svc].poll() is not None, 60,
                   what=f"{svc} in {self.image} /healthz")
        if self.procs[svc].poll() is not None:
            raise AssertionError(f"the container exited with {self.procs[svc].returncode}; its log "
                                 f"ends with:\n{self.log(svc)[-1500:]}")

    def cleanup(self):
        subprocess.run(["docker", "rm", "-f", self.container], capture_output=True)
        super().cleanup()


def curl(url):
    """(status, content type, body) of GET `url`, with curl."""
    out = subprocess.run(["curl", "-sS", "--max-time", "10", "-o", "-", "-w",
                          "\n%{http_code} %{content_type}", url], capture_output=True, check=True)
    body, _, tail = out.stdout.rpartition(b"\n")
    status, _, content_type = tail.decode().partition(" ")
    return int(status), content_type, body


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--image", required=True, help="a built notification image")
    args = ap.parse_args()
    cluster = ImageCluster(args.image)
    failures = []

    def check(what, ok, detail=""):
        print(("ok: " if ok else "FAIL: ") + what + ("" if ok else f" ({detail})"))
        if not ok:
            failures.append(what)

    try:
        cluster.start(["notification"])
        base = f"http://127.0.0.1:{cluster.ports['api']}"
        status, content_type, index = curl(base + "/")
        check("GET / is 200 text/html", status == 200 and content_type.startswith("text/html"),
              f"{status} {content_type}")
        page = index.decode(errors="replace")
        check("GET / is the console's index.html", "<title>" in page and 'type="module"' in page,
              page[:200])
        assets = re.findall(r'(?:src|href)="(/assets/[^"]+\.(?:js|css))"', page)
        check("index.html loads a bundled script", any(a.endswith(".js") for a in assets), page[:400])
        for asset in assets:
            status, content_type, body = curl(base + asset)
            want = "text/javascript" if asset.endswith(".js") else "text/css"
            check(f"GET {asset} is 200 {want}, {len(body)} bytes",
                  status == 200 and content_type.startswith(want) and len(body) > 1000,
                  f"{status} {content_type} {len(body)} bytes")
        status, _, _ = curl(base + "/v1/me")
        check("the API beside it still asks for a token (GET /v1/me is 401)", status == 401, status)
    finally:
        cluster.cleanup()
    print("PASS: the image serves the console" if not failures else f"FAIL: {len(failures)} check(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
