#!/usr/bin/env bash
# Installs, idempotently, every Debian 12 package that callmesh needs to build, run and test.
# Safe to run repeatedly: it asks apt only for what is missing.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake pkg-config ccache lld clang clang-format clang-tidy libclang-rt-14-dev
  # libraries
  libzmq3-dev cppzmq-dev libcapnp-dev capnproto libhiredis-dev prometheus-cpp-dev
  libgtest-dev libgmock-dev libbenchmark-dev libsofia-sip-ua-dev sofia-sip-doc libyaml-cpp-dev
  libphonenumber-dev nlohmann-json3-dev libcpp-httplib-dev libjemalloc-dev libssl-dev
  libboost-dev
  # runtime and test peers
  python3-yaml redis-server redis-sentinel redis-tools sip-tester kamailio kamailio-redis-modules python3 procps iproute2 curl
  # SIP over TLS e2e and bench (tests/e2e/sip_tls.py): test certificates made with the openssl command
  openssl
  prometheus
  # a real DNS server for the gateway-name e2e test (issue 21 point 3); dnsmasq-base is the binary
  # alone, without Debian's system service
  dnsmasq-base
  # the media plane (issue 19): rtpengine in userspace (--table=-1; no kernel module needed)
  rtpengine-daemon
  # browser for the agent console's Playwright tests (tests/console/)
  chromium
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages (${missing[*]}) and not root; run as root or install them" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
# Debian starts redis-server, kamailio and rtpengine as system services on install; callmesh never uses those
# instances (tests and the launcher start their own on free ports), so stop them if systemd runs them.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl disable --now redis-server redis-sentinel kamailio prometheus rtpengine-daemon >/dev/null 2>&1 || true
fi
echo "install-deps: done"
