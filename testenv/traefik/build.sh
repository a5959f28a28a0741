#!/usr/bin/env bash
# Builds Traefik v3 from the Go module proxy into $1 (called by `scripts/test-cluster build`, with
# the Go environment set up). Traefik does not build as a plain dependency (its own replace lines
# would be ignored, and the proxy refuses (403) its go-http-auth fork and some DNS-provider SDKs
# of lego), so it is built from a writable copy of its module zip, where its go.mod applies:
#   - pkg/config/dynamic/ext, a nested module missing from the zip, is recreated (patches/ext);
#   - github.com/abbot/go-http-auth is v0.4.0 plus the two functions of Traefik's fork
#     (patches/go-http-auth);
#   - github.com/go-acme/lego/v5 is a copy without the DNS providers whose SDKs are refused
#     (ACME DNS challenges are never used by the tests).
# The web UI is the zip's placeholder (empty dashboard).
set -euo pipefail
out=$1
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TRAEFIK_VERSION=v3.7.13
LEGO_VERSION=v5.4.1
# lego's DNS providers whose SDK modules the module proxy refuses.
REFUSED_DNS_PROVIDERS=(alidns aliesa azion dnsimple edgedns edgeone huaweicloud oraclecloud
  regfish sakuracloud tencentcloud ucloud yandexcloud)

mod_dir() { go mod download -json "$1" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p'; }

work="$out.src.$$"
rm -rf "$work"; mkdir -p "$work"
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

cp -r "$(mod_dir "github.com/traefik/traefik/v3@$TRAEFIK_VERSION")" "$work/traefik"
cp -r "$(mod_dir "github.com/abbot/go-http-auth@v0.4.0")" "$work/go-http-auth"
cp -r "$(mod_dir "github.com/go-acme/lego/v5@$LEGO_VERSION")" "$work/lego"
chmod -R u+w "$work"

mkdir -p "$work/traefik/pkg/config/dynamic/ext"
cp "$HERE/patches/ext/go.mod" "$HERE/patches/ext/ext.go" "$work/traefik/pkg/config/dynamic/ext/"

rm -rf "$work/go-http-auth/examples"
cp "$HERE/patches/go-http-auth/traefik_fork.go" "$work/go-http-auth/"
printf 'module github.com/abbot/go-http-auth\n\ngo 1.21\n\nrequire (\n\tgolang.org/x/crypto v0.0.0\n\tgolang.org/x/net v0.0.0\n)\n' >"$work/go-http-auth/go.mod"

providers="$work/lego/providers/dns/zz_gen_dns_providers.go"
for p in "${REFUSED_DNS_PROVIDERS[@]}"; do
  rm -rf "${work:?}/lego/providers/dns/$p"
  # Drop the import and the `case "...": return p.NewDNSProvider()` pair.
  awk -v p="$p" '
    $0 == "\t\"github.com/go-acme/lego/v5/providers/dns/" p "\"" { next }
    /^\tcase / { held = $0; next }
    held != "" { if ($0 != "\t\treturn " p ".NewDNSProvider()") print held; held = ""; if ($0 == "\t\treturn " p ".NewDNSProvider()") next }
    { print }
  ' "$providers" >"$providers.new"
  mv "$providers.new" "$providers"
done
grep -q 'providers/dns/alidns' "$providers" && { echo "traefik build: could not drop lego providers" >&2; exit 1; }

cd "$work/traefik"
go mod edit -replace "github.com/abbot/go-http-auth=$work/go-http-auth" \
  -replace "github.com/go-acme/lego/v5=$work/lego"
GOFLAGS="$GOFLAGS -mod=mod" go build -pgo=off \
  -ldflags "-s -w -X github.com/traefik/traefik/v3/pkg/version.Version=$TRAEFIK_VERSION" \
  -o "$out.tmp.$$" ./cmd/traefik
mv "$out.tmp.$$" "$out"
