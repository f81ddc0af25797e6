#!/usr/bin/env bash
# Packaging check (CTest: Packaging.MetainfoAndDesktopFileValidate): the AppStream metainfo and
# the .desktop file that `cmake --install` puts in share/metainfo and share/applications are
# valid, the .desktop file names the app in every interface language (translations/), and the
# metainfo's launchable names the installed .desktop file. Runs offline. The .deb itself:
# scripts/check-deb.sh.
# Needs appstreamcli (Debian: appstream) and desktop-file-validate (desktop-file-utils), which
# scripts/setup.sh installs; where either is missing it says so and exits 0.
set -euo pipefail
cd "$(dirname "$0")/.."

metainfo=assets/io.github.microfer.MicroFER.metainfo.xml
desktop=assets/microfer.desktop
icon=assets/microfer.svg

for tool in appstreamcli desktop-file-validate; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "skipped: $tool not installed (Debian: apt-get install appstream desktop-file-utils)"
    exit 0
  fi
done

fail() { echo "check-packaging: FAILED: $*" >&2; exit 1; }

for f in "$metainfo" "$desktop" "$icon"; do
  [ -f "$f" ] || fail "$f is missing"
done
grep -q "$(basename "$metainfo")" src/gui/CMakeLists.txt ||
  fail "src/gui/CMakeLists.txt does not install $(basename "$metainfo")"

echo "== appstreamcli validate --no-net --pedantic $metainfo"
appstreamcli validate --no-net --pedantic "$metainfo" ||
  fail "$metainfo is not valid AppStream metainfo (messages above)"

echo "== desktop-file-validate $desktop"
out=$(desktop-file-validate "$desktop" 2>&1) || { echo "$out"; fail "$desktop is not a valid desktop entry"; }
[ -z "$out" ] || echo "$out"
# Every interface language of the app (translations/microfer_LANG.ts) names the app in menus too.
for ts in translations/microfer_*.ts; do
  [ -f "$ts" ] || continue
  lang=$(basename "$ts" .ts); lang=${lang#microfer_}
  for key in Name GenericName Comment; do
    grep -q "^$key\[$lang\]=." "$desktop" || fail "$desktop has no $key[$lang]= (the app has a $lang interface)"
  done
done
echo "ok"

# The installed layout: the metainfo's <launchable> must name a .desktop file that is installed.
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/usr/share/metainfo" "$stage/usr/share/applications" \
         "$stage/usr/share/icons/hicolor/scalable/apps"
cp "$metainfo" "$stage/usr/share/metainfo/"
cp "$desktop" "$stage/usr/share/applications/"
cp "$icon" "$stage/usr/share/icons/hicolor/scalable/apps/"
echo "== appstreamcli validate-tree --no-net --pedantic (installed layout)"
appstreamcli validate-tree --no-net --pedantic "$stage" ||
  fail "the installed layout does not validate (does <launchable> name $(basename "$desktop")?)"

echo "check-packaging: passed"
