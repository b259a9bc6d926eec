#!/usr/bin/env bash
# Builds the container image of one service from docker/Dockerfile and checks what is inside
# (issue 17 item 8: the console ships in the image): the service's binary, linked (no missing
# shared library) and runnable as the image's user; the built console (index.html and its
# bundled script) where notification.console_dir points in k8s/base/config/cluster.yaml.
#
#   tests/k8s/image_test.sh [SERVICE]          # default: notification
#
# Needs a running Docker daemon. The build context is the committed tree (`git archive HEAD`),
# so build directories and uncommitted files never enter it. Without access to Docker Hub, point
# the base-image build args at local images (DEBIAN_BUILD_IMAGE, DEBIAN_RUNTIME_IMAGE,
# NODE_BUILD_IMAGE; tools/docker-local-bases makes them from Debian packages).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
service=${1:-notification}
tag="callmesh/${service}:image-test-$$"
console_dir=/usr/share/callmesh/console

docker info >/dev/null 2>&1 || { echo "FAIL: no Docker daemon (docker info failed)" >&2; exit 1; }

args=(--build-arg "SERVICE=${service}")
for name in DEBIAN_BUILD_IMAGE DEBIAN_RUNTIME_IMAGE NODE_BUILD_IMAGE; do
  if [ -n "${!name:-}" ]; then args+=(--build-arg "${name}=${!name}"); fi
done

cleanup() { docker image rm -f "${tag}" >/dev/null 2>&1 || true; }
trap cleanup EXIT

# The classic builder: BuildKit's `# syntax=` line would fetch its frontend from Docker Hub.
git -C "${root}" archive --format=tar HEAD |
  DOCKER_BUILDKIT=0 docker build -f docker/Dockerfile "${args[@]}" -t "${tag}" -

inside() { docker run --rm --network none --entrypoint /bin/sh "${tag}" -c "$1"; }

fail=0
check() {
  local what=$1 cmd=$2
  if inside "${cmd}"; then echo "ok: ${what}"; else echo "FAIL: ${what}" >&2; fail=1; fi
}
check "callmesh-${service} is in the image and executable" \
  "test -x /usr/local/bin/callmesh-${service} && test -L /usr/local/bin/callmesh-service"
check "no shared library missing" "! ldd /usr/local/bin/callmesh-${service} | grep 'not found'"
check "the image runs as uid 10001" "test \"\$(id -u)\" = 10001"
check "the console's index.html is at ${console_dir}" "test -s ${console_dir}/index.html"
check "index.html's script is bundled beside it" \
  "src=\$(grep -o 'src=\"[^\"]*\\.js\"' ${console_dir}/index.html | head -n1 | cut -d'\"' -f2) && \
   test -n \"\$src\" && test -s ${console_dir}/\${src#/}"
# The binary starts and refuses a missing config with its own error (exit 2), not a loader error.
set +e
out=$(docker run --rm --network none "${tag}" --config /nonexistent.yaml 2>&1)
code=$?
set -e
if [ "${code}" -ne 0 ] && ! grep -q "error while loading shared libraries" <<<"${out}" &&
  grep -qi "nonexistent.yaml" <<<"${out}"; then
  echo "ok: callmesh-${service} starts and names the missing config (exit ${code})"
else
  echo "FAIL: callmesh-${service} --config /nonexistent.yaml gave exit ${code}: ${out}" >&2
  fail=1
fi
[ "${fail}" -eq 0 ] && echo PASS
exit "${fail}"
