#!/usr/bin/env bash
# Builds the release tarball: one herald binary with the Swift runtime and SQLite linked in,
# stripped, with LICENSE, README.md, INSTALL.md and the systemd unit; and its SHA-256 beside it.
#
#   scripts/release.sh [--scratch-path DIR]      (or HERALD_RELEASE_SCRATCH; default .build)
#
# Writes dist/herald-<version>-linux-<arch>.tar.gz and dist/herald-<version>-linux-<arch>.tar.gz.sha256,
# and prints the binary's size and what it links (ldd). A scratch path shared between runs (CI's
# cache) builds only what changed.
#
# The clone is never modified: what git would commit (tracked and untracked files, minus the
# ignored ones) is copied to <scratch>/release-source, and the commit and build date are stamped
# into that copy of BuildInfo.swift. Stamping the clone in place and restoring it afterwards
# would leave it modified if the script were killed, and would race with an editor or a debug
# build in the same folder.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

scratch="${HERALD_RELEASE_SCRATCH:-.build}"
while [ $# -gt 0 ]; do
    case "$1" in
        --scratch-path) scratch="$2"; shift 2 ;;
        *) echo "release: unknown argument $1 (usage: scripts/release.sh [--scratch-path DIR])" >&2; exit 2 ;;
    esac
done
mkdir -p "$scratch"
scratch="$(cd "$scratch" && pwd)"
started=$SECONDS

# ---- The sources, as git would commit them, stamped with the commit and the date --------------
source="$scratch/release-source"
rm -rf "$source"
mkdir -p "$source"
git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' file; do if [ -e "$file" ]; then printf '%s\0' "$file"; fi; done \
    | tar --null --files-from=- -cf - | tar -xf - -C "$source"
# Package.resolved is ignored by git but pins the dependencies this clone builds and tests with.
[ -f Package.resolved ] && cp Package.resolved "$source/"

commit="$(git rev-parse --short HEAD)"
[ -z "$(git status --porcelain)" ] || commit="$commit-dirty"
date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
build_info="$source/Sources/HeraldServer/BuildInfo.swift"
sed -i -E \
    -e "s/^(    public static let commit = )\"unknown\"$/\1\"$commit\"/" \
    -e "s/^(    public static let date = )\"unknown\"$/\1\"$date\"/" \
    "$build_info"
grep -q "commit = \"$commit\"" "$build_info" && grep -q "date = \"$date\"" "$build_info" \
    || { echo "release: could not stamp $build_info (its commit and date lines changed shape)" >&2; exit 1; }
version="$(sed -n -E 's/^    public static let version = "([^"]+)"$/\1/p' "$build_info")"
[ -n "$version" ] || { echo "release: no version in $build_info" >&2; exit 1; }

# ---- Build ------------------------------------------------------------------------------------
# GRDB links `sqlite3` by name; a folder holding only libsqlite3.a, searched before the system's,
# makes that name resolve to the static library (Debian's libsqlite3-dev ships it).
static_sqlite="$scratch/release-static-libs"
mkdir -p "$static_sqlite"
libsqlite="/usr/lib/$(uname -m)-linux-gnu/libsqlite3.a"
[ -f "$libsqlite" ] || { echo "release: no $libsqlite (install libsqlite3-dev)" >&2; exit 1; }
ln -sf "$libsqlite" "$static_sqlite/libsqlite3.a"

echo "release: building herald $version ($commit) in $scratch"
swift build -c release --static-swift-stdlib --product herald \
    --package-path "$source" --scratch-path "$scratch" \
    -Xlinker -L"$static_sqlite"
built="$(swift build -c release --package-path "$source" --scratch-path "$scratch" --show-bin-path)/herald"

# ---- Pack -------------------------------------------------------------------------------------
name="herald-$version-linux-$(uname -m)"
stage="$scratch/release-package/$name"
rm -rf "$stage"
mkdir -p "$stage" dist
cp "$built" "$stage/herald"
strip "$stage/herald"
cp LICENSE README.md "$stage/"
cp packaging/INSTALL.md packaging/herald.service "$stage/"
# The same bytes for the same sources and date: fixed owner, order and times.
tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner --mtime="$date" \
    -czf "dist/$name.tar.gz" herald LICENSE README.md INSTALL.md herald.service
(cd dist && sha256sum "$name.tar.gz" > "$name.tar.gz.sha256")

echo "release: dist/$name.tar.gz ($(du -h "dist/$name.tar.gz" | cut -f1)), sha256 $(cut -d' ' -f1 "dist/$name.tar.gz.sha256")"
echo "release: $("$stage/herald" --version), $(stat -c %s "$stage/herald") bytes stripped ($(du -h "$stage/herald" | cut -f1))"
echo "release: ldd herald:"
ldd "$stage/herald" | sed 's/^[[:space:]]*/    /'
echo "release: done in $((SECONDS - started)) s"
