#!/usr/bin/env bash
# Files a letter end to end against a running EN-Akte (`npm start`), as a town's system would:
# file-plan unit → file → case → document → three versions → download v2 and a byte range of v3 → close.
# Usage: examples/file-a-letter.sh [base-url] [tenant]     (needs curl and node)
set -euo pipefail
BASE=${1:-http://localhost:3000}
TENANT=${2:-hattingen}
API="$BASE/v1/tenants/$TENANT"
cd "$(dirname "$0")/.."

# EN_AKTE_TOKEN: a token from elsewhere (e.g. minted inside a compose container, whose key this checkout lacks).
TOKEN=${EN_AKTE_TOKEN:-$(npm run -s token -- --tenant "$TENANT" --roles records-manager,clerk --sub example-script)}
AUTH=(-H "Authorization: Bearer $TOKEN")
json() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s);console.log(process.argv[1].split(".").reduce((o,k)=>o[k],v))})' "$1"; }
# POST/PATCH with JSON; prints the body, saves headers to $HDRS
HDRS=$(mktemp)
call() { local method=$1 url=$2; shift 2; curl -sS --fail-with-body -D "$HDRS" -X "$method" "${AUTH[@]}" "$@" "$url"; }
header() { grep -i "^$1:" "$HDRS" | head -1 | cut -d' ' -f2- | tr -d '\r'; }

CODE="E$(date +%s | tail -c 6)"
echo "1. file-plan unit $CODE"
call POST "$API/file-plan/units" -H 'content-type: application/json' \
  -d "{\"code\":\"$CODE\",\"title\":\"Gewerbeangelegenheiten\",\"retentionYears\":10,\"disposal\":\"B\"}" >/dev/null

echo "2. file (Akte)"
FILE=$(call POST "$API/files" -H 'content-type: application/json' -H "Idempotency-Key: file-$CODE" \
  -d "{\"planCode\":\"$CODE\",\"title\":\"Gewerbeanmeldungen 2026\",\"leadOrgUnit\":\"FB Ordnung\"}")
FILE_ID=$(echo "$FILE" | json id); echo "   reference $(echo "$FILE" | json reference)"

echo "3. case (Vorgang)"
CASE=$(call POST "$API/files/$FILE_ID/cases" -H 'content-type: application/json' -d '{"title":"Gewerbeanmeldung Bäckerei Yılmaz"}')
CASE_ID=$(echo "$CASE" | json id); echo "   reference $(echo "$CASE" | json reference)"

echo "4. document"
DOC=$(call POST "$API/cases/$CASE_ID/documents" -H 'content-type: application/json' \
  -d '{"title":"Gewerbeanmeldung GewA 1","kind":"application","receivedOn":"2026-11-24","sender":"Aylin Yılmaz"}')
DOC_ID=$(echo "$DOC" | json id); ETAG=$(header etag)

echo "5. three versions"
for n in 1 2 3; do
  printf 'Gewerbeanmeldung, Fassung %s\n0123456789\n' "$n" > "${HDRS}.body"
  V=$(call POST "$API/documents/$DOC_ID/versions?filename=GewA1-Y%C4%B1lmaz-v$n.txt" -H "If-Match: $ETAG" \
    -H 'content-type: text/plain; charset=utf-8' \
    -H "Content-Digest: sha-256=:$(openssl dgst -sha256 -binary "${HDRS}.body" | base64):" \
    --data-binary @"${HDRS}.body")
  ETAG=$(header document-etag)
  echo "   version $(echo "$V" | json number): $(echo "$V" | json size) bytes, sha256 $(echo "$V" | json sha256 | cut -c1-16)…"
done

echo "6. download version 2"
curl -sS --fail-with-body "${AUTH[@]}" "$API/documents/$DOC_ID/versions/2/content"
echo "7. bytes 0-15 of version 3"
curl -sS --fail-with-body "${AUTH[@]}" -H 'Range: bytes=0-15' "$API/documents/$DOC_ID/versions/3/content"; echo

echo "8. close the file (zdA) with its open case"
FILE_ETAG=$(curl -sS -o /dev/null -D - "${AUTH[@]}" "$API/files/$FILE_ID" | grep -i '^etag:' | cut -d' ' -f2- | tr -d '\r')
CLOSED=$(call POST "$API/files/$FILE_ID/close" -H 'content-type: application/json' -H "If-Match: $FILE_ETAG" -d '{"closeOpenCases":true}')
echo "   status $(echo "$CLOSED" | json status) on $(echo "$CLOSED" | json closedOn)"
rm -f "$HDRS" "${HDRS}.body"
