#!/usr/bin/env bash
# Builds the libFuzzer targets with clang under ASan+UBSan and runs each for N seconds.
#   tools/fuzz/run.sh 30          # CI's short run (the test command runs this)
#   tools/fuzz/run.sh 1200        # the long run: 20 minutes per target
# Corpora: tools/fuzz/corpus/<kind>/ (kept in the repo) plus, for SIP, the RFC 4475 torture
# messages from tests/data/rfc4475. New inputs that grow coverage go to a
# scratch copy; crashes are written to build-fuzz/artifacts/ and fail the run.
set -euo pipefail
seconds=${1:-30}
root=$(cd "$(dirname "$0")/../.." && pwd)
build="$root/build-fuzz"
# Let ccache reuse objects across checkouts in different folders (CI clones afresh): paths are
# rewritten relative to the project, and the working directory is left out of the hash.
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=true
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCM_FUZZ=ON \
  "-DCM_SANITIZE=address;undefined;fuzzer-no-link" "${launcher[@]}" >/dev/null
cmake --build "$build" -j "$(nproc)" --target sip_message_fuzz capnp_decode_fuzz bencode_fuzz >/dev/null
mkdir -p "$build/artifacts"
status=0
ran=0
failed=0
for kind in sip capnp bencode; do
  ran=$((ran + 1))
  target="${kind/sip/sip_message}"
  target="${target/capnp/capnp_decode}_fuzz"
  work=$(mktemp -d)
  cp "$root/tools/fuzz/corpus/$kind/"* "$work/" 2>/dev/null || true
  if [ "$kind" = sip ]; then
    cp "$root/tests/data/rfc4475/"*.sip "$work/"
  fi
  echo "fuzz: $target for ${seconds}s (seed inputs: $(ls "$work" | wc -l))"
  if ! "$build/tools/fuzz/$target" -max_total_time="$seconds" -max_len=8192 -timeout=10 \
      -artifact_prefix="$build/artifacts/$target-" -print_final_stats=1 "$work" \
      > "$build/$target.log" 2>&1; then
    echo "fuzz: $target FOUND A PROBLEM; see $build/$target.log and $build/artifacts/" >&2
    tail -40 "$build/$target.log" >&2
    status=1
    failed=$((failed + 1))
  fi
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb|cov:" "$build/$target.log" | tail -3
  rm -rf "$work"
done
echo "fuzz: $((ran - failed)) of $ran targets passed, $failed found a problem"
exit $status
