#!/usr/bin/env bash
# govulncheck on the module, against the Go vulnerability database as the
# golang.org/x/vulndb module ships it (its data/osv files, turned into the
# v1 layout by .ci/vulndb), so the check needs only the module proxy and
# never vuln.go.dev. Fails on any vulnerability the code can reach (symbol
# level); ones only imported or required are listed with -show verbose.
# Both versions are pinned: move them together, on purpose.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=go1.27.3
VULN=v1.9.0                                  # golang.org/x/vuln (govulncheck)
VULNDB=v0.0.0-20261105234957-e22db6528018    # golang.org/x/vulndb (the data)

src=$(go mod download -json "golang.org/x/vulndb@$VULNDB" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
if [ ! -d "$src/data/osv" ]; then
	echo "govulncheck.sh: golang.org/x/vulndb@$VULNDB has no data/osv" >&2
	exit 1
fi
db=$(mktemp -d)
trap 'rm -rf "$db"' EXIT
# The pseudo-version's timestamp dates the database.
stamp=$(echo "$VULNDB" | sed -n 's/^v0\.0\.0-\([0-9]\{4\}\)\([0-9]\{2\}\)\([0-9]\{2\}\)\([0-9]\{2\}\)\([0-9]\{2\}\)\([0-9]\{2\}\)-.*/\1-\2-\3T\4:\5:\6Z/p')
go run .ci/vulndb/main.go -vulns "$src/data/osv" -out "$db" -modified "$stamp"
go run "golang.org/x/vuln/cmd/govulncheck@$VULN" -db "file://$db" ./...
