#!/usr/bin/env bash
# Cross-builds the release archives of feedpost into dist/: linux, darwin and
# windows × amd64 and arm64, each archive holding the binary, the README and
# the deploy files, and SHA256SUMS beside them.
#
#   scripts/release.sh v1.2.0                 # every target
#   TARGETS="linux/amd64 windows/arm64" DIST=/tmp/d scripts/release.sh v1.2.0
#
# Reproducible: the same commit and version give the same bytes on any
# machine and in any folder. The binaries are static (CGO_ENABLED=0), built
# with -trimpath (no local paths), an empty build id, and the commit's time
# as their date (SOURCE_DATE_EPOCH overrides it); the archives are sorted,
# owned by 0:0 and dated with that time, gzip without a name or time stamp.
# CI builds two targets twice and compares the SHA256SUMS.
#
# Needs Go, git, GNU tar, gzip, zip and sha256sum.
set -euo pipefail
cd "$(dirname "$0")/.."

version=${1:-$(git describe --tags --always --dirty 2>/dev/null || echo devel)}
commit=$(git rev-parse HEAD)
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}
date=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)
dist=${DIST:-dist}
targets=${TARGETS:-"linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64"}

rm -rf "$dist"
mkdir -p "$dist"
dist=$(cd "$dist" && pwd)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

export CGO_ENABLED=0 TZ=UTC LC_ALL=C
ldflags="-s -w -buildid= -X main.version=$version -X main.commit=$commit -X main.date=$date"
for target in $targets; do
  os=${target%/*} arch=${target#*/}
  name=feedpost_${version}_${os}_${arch}
  dir=$stage/$name
  mkdir -p "$dir/deploy"
  ext=""
  [ "$os" = windows ] && ext=.exe
  GOOS=$os GOARCH=$arch go build -trimpath -buildvcs=false -ldflags "$ldflags" -o "$dir/feedpost$ext" ./cmd/feedpost
  cp README.md "$dir/"
  cp deploy/feedpost.service deploy/feedpost-run.service deploy/feedpost-run.timer deploy/compose.yaml \
    deploy/feedpost.container.yaml "$dir/deploy/"
  cp -r deploy/github-actions "$dir/deploy/"
  chmod -R u=rwX,go=rX "$dir"
  find "$dir" -exec touch -h -d "@$epoch" {} +
  if [ "$os" = windows ]; then
    # zip stores local times: TZ=UTC above keeps them the same everywhere.
    (cd "$stage" && find "$name" -type f | sort | zip -q -X -D "$dist/$name.zip" -@)
  else
    tar -C "$stage" --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner \
      -cf - "$name" | gzip -n -9 > "$dist/$name.tar.gz"
  fi
  echo "built $name"
done
(cd "$dist" && shopt -s nullglob && sha256sum -- *.tar.gz *.zip | sort -k2 > SHA256SUMS)
cat "$dist/SHA256SUMS"
