# syntax=docker/dockerfile:1
# The media relay beside every ingress (k8s/base/ingress.yaml, container rtpengine; docs/media.md):
# Debian 12's rtpengine-daemon, userspace forwarding only (--table=-1: no kernel module needed on
# the node), run as the same unprivileged user as the callmesh services. Build from the repo root:
#
#   docker build -f docker/rtpengine.Dockerfile -t callmesh/rtpengine:0.1.0 .
#
# Not built by CI (no container engine on the project's machines, k8s/README.md).
ARG DEBIAN_RUNTIME_IMAGE=debian:12-slim
FROM ${DEBIAN_RUNTIME_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends rtpengine-daemon \
 && rm -rf /var/lib/apt/lists/* \
 && rtpengine --version
USER 10001:10001
ENTRYPOINT ["rtpengine"]
CMD ["--config-file=none", "--foreground", "--log-stderr", "--table=-1"]
