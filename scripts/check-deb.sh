#!/usr/bin/env bash
# The Debian package's check.
#   scripts/check-deb.sh [BUILD]         (CTest: Packaging.DebLintian) builds BUILD's package
#                                        (cpack -G DEB into a temporary folder; BUILD defaults to
#                                        build/), checks that it ships the models meant to ship
#                                        and no other, and runs lintian on it: no error and no
#                                        warning. About a minute once BUILD is built.
#   scripts/check-deb.sh --docs [BUILD]  seconds (CTest: Packaging.DebDocs): the manual pages the
#                                        build made render with man -l without a warning (as
#                                        lintian runs man), the copyright file is machine-readable
#                                        (DEP-5) and the changelog parses, with the package's version.
# Needs lintian and dpkg-deb (full), man and dpkg-parsechangelog (--docs); Debian: apt-get
# install lintian help2man dpkg-dev man-db. Where one is missing, or the build made no
# manual pages (help2man missing at configure time), it says so and exits 77 (skipped).
set -euo pipefail
cd "$(dirname "$0")/.."

mode=full
if [ "${1:-}" = --docs ]; then mode=docs; shift; fi
build=$(realpath "${1:-build}")
skip() { echo "skipped: $*"; exit 77; }
fail() { echo "check-deb: FAILED: $*" >&2; exit 1; }
[ -f "$build/CMakeCache.txt" ] || skip "$build is not a configured build folder"

if [ "$mode" = docs ]; then
  for tool in man dpkg-parsechangelog python3; do
    command -v "$tool" >/dev/null 2>&1 || skip "$tool not installed (Debian: man-db, dpkg-dev, python3)"
  done

  # Manual pages: one per program that the build installs into bin/.
  programs=$(sed -n 's/.*install(TARGETS \([a-z-]*\) RUNTIME.*/\1/p' src/CMakeLists.txt \
               src/gui/CMakeLists.txt src/device/CMakeLists.txt src/lab/CMakeLists.txt)
  [ -n "$programs" ] || fail "no install(TARGETS ... RUNTIME) found in src/"
  mandir="$build/packaging/man"
  ls "$mandir"/*.1.gz >/dev/null 2>&1 ||
    skip "the build made no manual pages (help2man was not found when it was configured)"
  for p in $programs; do
    page="$mandir/$p.1.gz"
    exe=$(find "$build/src" -maxdepth 2 -type f -name "$p" -perm -u+x | head -1)
    if [ ! -f "$page" ]; then
      # The GUI is optional (MICROFER_BUILD_GUI=OFF): no program, no page.
      [ -n "$exe" ] || { echo "-- $p: not built here, no page"; continue; }
      fail "$page is missing"
    fi
    [ "$(gzip -dc "$page" | head -c 4)" != "" ] || fail "$page is empty"
    gzip -lv "$page" | grep -q defla || fail "$page is not gzip-compressed"
    # What lintian runs (Documentation/Manual.pm): every line on stderr is a warning.
    err=$(cd "$mandir" && env -i PATH="$PATH" LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 \
            man --warnings -E UTF-8 -l -Tutf8 -Z "$page" 2>&1 >/dev/null) ||
      fail "man -l $page failed: $err"
    [ -z "$err" ] || fail "man -l $page warns: $err"
    whatis=$(lexgrog "$page" 2>/dev/null || true)
    [[ $whatis == *" - "* ]] || fail "$page has no whatis entry (NAME section): $whatis"
    # Every option of --help is in the page (the hand-written part of a page can fall behind).
    if [ -n "$exe" ]; then
      text=$(gzip -dc "$page" | sed 's/\\-/-/g; s/\\f[BIRP]//g')
      for opt in $(QT_QPA_PLATFORM=offscreen OMP_WAIT_POLICY=PASSIVE "$exe" --help 2>/dev/null |
                     grep -o -- '--[a-z][a-z-]*[a-z]' | sort -u); do
        grep -q -- "$opt" <<<"$text" || fail "$p --help has $opt, its manual page does not"
      done
    fi
    echo "-- $p.1: renders without a warning, names every option of --help; ${whatis#*: }"
  done

  # changelog: parses, and its top entry is the package's version.
  version=$(sed -n 's/^set(CPACK_PACKAGE_VERSION "\(.*\)")$/\1/p' \
              "$build/CPackConfig.cmake" | head -1)
  revision=$(sed -n 's/^set(CPACK_DEBIAN_PACKAGE_RELEASE "\(.*\)")$/\1/p' "$build/CPackConfig.cmake")
  top=$(dpkg-parsechangelog -l packaging/changelog -S Version) || fail "packaging/changelog does not parse"
  [ "$top" = "$version-$revision" ] ||
    fail "packaging/changelog's top entry is $top, the package is $version-$revision"
  echo "-- changelog: parses, top entry $top"

  # copyright: DEP-5 (machine-readable): a header paragraph, Files paragraphs with Copyright
  # and License, and the text of every licence named (inline or in a stand-alone paragraph).
  python3 - packaging/copyright <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
paras, cur, key = [], {}, None
for n, line in enumerate(text.split("\n"), 1):
    if not line.strip():
        if cur: paras.append(cur); cur, key = {}, None
        continue
    if line[0] in " \t":
        if key is None: sys.exit(f"copyright:{n}: continuation line outside a field")
        cur[key] += "\n" + line
        continue
    m = re.match(r"([!-9;-~][!-9;-~]*):(.*)$", line)
    if not m: sys.exit(f"copyright:{n}: not a 'Field: value' line: {line!r}")
    key = m.group(1)
    if key in cur: sys.exit(f"copyright:{n}: field {key} twice in one paragraph")
    cur[key] = m.group(2).strip()
if cur: paras.append(cur)
head, rest = paras[0], paras[1:]
if head.get("Format") != "https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/":
    sys.exit("copyright: the first paragraph's Format is not DEP-5 1.0")
files = [p for p in rest if "Files" in p]
standalone = {p["License"].split("\n")[0].strip(): p for p in rest if "Files" not in p}
if not files or files[0]["Files"] != "*":
    sys.exit("copyright: the first Files paragraph must be 'Files: *'")
for p in rest:
    if "License" not in p: sys.exit(f"copyright: a paragraph without License: {p}")
    if "Files" in p and "Copyright" not in p: sys.exit(f"copyright: Files: {p['Files']} has no Copyright")
for p in files:
    name, _, body = p["License"].partition("\n")
    if not body.strip() and name.strip() not in standalone:
        sys.exit(f"copyright: License {name.strip()} (Files: {p['Files']}) has no text")
print(f"-- copyright: DEP-5, {len(files)} Files paragraphs, licences: "
      + ", ".join(sorted({p['License'].split(chr(10))[0].strip() for p in files})))
PY
  echo "check-deb --docs: passed"
  exit 0
fi

for tool in cpack lintian dpkg-deb; do
  command -v "$tool" >/dev/null 2>&1 || skip "$tool not installed (Debian: apt-get install lintian)"
done
ls "$build"/packaging/man/*.1.gz >/dev/null 2>&1 ||
  skip "the build made no manual pages (help2man missing when it was configured), so the package would lack them"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "== cpack -G DEB (in $build, package into $out)"
(cd "$build" && cpack -G DEB -B "$out" >"$out/cpack.log" 2>&1) ||
  { cat "$out/cpack.log"; fail "cpack -G DEB failed"; }
deb=$(ls "$out"/*.deb)
echo "== $(basename "$deb"): $(du -h "$deb" | cut -f1)"
dpkg-deb -f "$deb" Package Version Section Priority Depends

# Only the models that are meant to ship: the .mfm files of models/SHIPPED (the card's three)
# and the two detectors' weights.
shipped=$(dpkg-deb -c "$deb" | awk '{print $NF}' | grep -E '\.(mfm|onnx|caffemodel)$' | sort)
expected=$( { grep -E '^[^#].*\.mfm$' models/SHIPPED | sed 's|^|./usr/share/microfer/models/|'
              printf '%s\n' ./usr/share/microfer/models/mtcnn/det{1,2,3}.caffemodel \
                ./usr/share/microfer/models/yunet/yunet_n_320_320.onnx; } | sort)
[ "$shipped" = "$expected" ] ||
  fail "the package's model files differ from the ones meant to ship:$(diff <(echo "$expected") <(echo "$shipped") || true)"
echo "-- models: $(echo "$shipped" | wc -l) files, the three of the model card and the two detectors'"

echo "== lintian (no error, no warning allowed)"
lintian --fail-on error,warning --display-info "$deb" || fail "lintian reports errors or warnings (above)"
echo "check-deb: passed"
