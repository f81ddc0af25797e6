#!/usr/bin/env bash
# Fetches the pretrained face teacher's weights (training time only; nothing of it ships):
# @vladmandic/face-api 1.7.15 (MIT, https://github.com/vladmandic/face-api), its tfjs models
# under model/ and its LICENSE, into DIR (outside the source tree), and the pure-JS
# @tensorflow/tfjs that scripts/teacher/reference.mjs runs it with.
# Usage: scripts/teacher/fetch-face-api.sh [DIR]   (default /var/tmp/microfer-runs/teacher)
# Idempotent: a second run with everything in place only re-checks the tarball's checksum.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src_root=$(cd "$here/../.." && pwd)
dir=${1:-/var/tmp/microfer-runs/teacher}
pkg=@vladmandic/face-api
version=1.7.15
# npm's own integrity field for this version (npm view @vladmandic/face-api@1.7.15 dist.integrity)
integrity=sha512-WDMmK3CfNLo8jylWqMoQgf4nIst3M0fzx1dnac96wv/dvMTN4DxC/Pq1DGtduDk1lktCamQ3MIDXFnvrdHTXDw==
tfjs_version=4.22.0   # the tfjs face-api 1.7.15 was built against (its package.json devDependencies)
tarball=vladmandic-face-api-$version.tgz

dir=$(realpath -m "$dir")
case "$dir/" in
  "$src_root"/*) echo "fetch-face-api.sh: '$dir' is inside the source tree; pick a folder outside it" >&2; exit 2 ;;
esac
mkdir -p "$dir"
cd "$dir"

if [ ! -f "$tarball" ]; then
  npm pack --silent "$pkg@$version" > /dev/null
fi
got="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
if [ "$got" != "$integrity" ]; then
  echo "fetch-face-api.sh: $dir/$tarball: checksum mismatch (got $got, want $integrity); removed" >&2
  rm -f "$tarball"
  exit 1
fi

# Only the models, the licence, package.json (its version) and the JS bundle without tfjs
# inside that scripts/teacher/reference.mjs runs on the tfjs installed below.
if [ ! -f face-api/.complete ]; then
  rm -rf face-api.tmp && mkdir face-api.tmp
  tar -xzf "$tarball" -C face-api.tmp package/model package/LICENSE package/package.json \
      package/dist/face-api.esm-nobundle.js
  rm -rf face-api && mv face-api.tmp/package face-api && rmdir face-api.tmp
  touch face-api/.complete
fi

# The pure-JS tfjs (CPU backend, no native tfjs-node) for the reference outputs.
if [ ! -f node_modules/@tensorflow/tfjs/package.json ] ||
   [ "$(node -p "require('./node_modules/@tensorflow/tfjs/package.json').version")" != "$tfjs_version" ]; then
  [ -f package.json ] || echo '{"name":"microfer-teacher","private":true}' > package.json
  npm install --silent --no-audit --no-fund --save-exact "@tensorflow/tfjs@$tfjs_version" > /dev/null
fi
echo "$dir/face-api/model"
