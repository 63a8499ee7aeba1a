#!/usr/bin/env bash
# A nightly HRIS job in shell: upload tonight's schedule to the portal, send
# it to Talkdesk, wait for the end with backoff, and fail (printing the rows
# Talkdesk rejected) unless every row was imported. Needs curl and jq.
#
#   PORTAL_URL=https://portal.example.com PORTAL_API_KEY=sip_... ./nightly-job.sh schedule.csv [Time/Zone]
#
# The portal refuses to send a file it warns about (rows already imported,
# events overlapping earlier imports) until the warnings are acknowledged: the
# job prints them with their codes and exits 2, unless ACKNOWLEDGE_WARNINGS=1
# says the file is meant to go as it is.
#
# The portal answers the upload at once (202) and checks a large file in a
# worker (state "checking"): the job waits for the check to end, then for
# Talkdesk. A checked file the portal would not send stays a preview whose
# confirmation_refused says why.
#
# Exit status: 0 imported; 1 imported with rows rejected, or not imported; 2 refused before sending.
set -euo pipefail

file=${1:?usage: nightly-job.sh SCHEDULE.csv [TIME_ZONE]}
time_zone=${2:-}
acknowledge=$([ "${ACKNOWLEDGE_WARNINGS:-0}" = 1 ] && echo true || echo false)
url=${PORTAL_URL:?set PORTAL_URL}
key=${PORTAL_API_KEY:?set PORTAL_API_KEY}
auth="Authorization: Bearer ${key}"
# The same file on the same day is the same request: a retried or re-run job
# gets the first answer back instead of importing twice. Acknowledging the
# warnings makes it another request, so a run refused for warnings can be
# followed by one that sends.
idempotency_key="nightly-$(date -u +%F)$([ "$acknowledge" = true ] && echo -acknowledged)-$(sha256sum "$file" | cut -c1-32)"

answer=$(mktemp)
trap 'rm -f "$answer"' EXIT
for attempt in 1 2 3 4 5 6; do
  status=$(curl -sS -o "$answer" -w '%{http_code}' -H "$auth" -H "Idempotency-Key: ${idempotency_key}" \
    -F "file=@${file};type=text/csv" -F confirm=true -F "acknowledge_warnings=${acknowledge}" ${time_zone:+-F "time_zone=${time_zone}"} \
    "${url}/api/v1/imports") || status=000
  case $status in
    201|202) break ;;
    409|429|5*|000) sleep $((attempt * attempt)) ;;  # in flight, rate-limited or down: the same request again
    *) echo "Refused (HTTP $status): $(jq -r '.detail' "$answer" 2>/dev/null || cat "$answer")" >&2; exit 2 ;;
  esac
done
case $status in 201|202) ;; *) echo "The portal did not take the file (HTTP $status)." >&2; exit 2 ;; esac

import_url="${url}$(jq -r '.links.self' "$answer")"
# wait_while FILTER: polls the import with backoff while the jq FILTER is true.
wait_while() {
  local wait=1
  while [ "$(jq -r "$1" "$answer")" = true ]; do
    sleep "$wait"
    wait=$((wait < 30 ? wait * 2 : 30))
    curl -sS -o "$answer" -H "$auth" "$import_url"
  done
}
if [ "$(jq -r '.state' "$answer")" = checking ]; then
  echo "Uploaded as import $(jq -r '.id' "$answer"); the portal is checking it."
  wait_while '.state == "checking"'
fi
refused=$(jq -r '.confirmation_refused // empty' "$answer")
if [ -n "$refused" ]; then
  echo "Not sent: $refused" >&2
  curl -sS -H "$auth" "${import_url}/findings?limit=50" \
    | jq -r '.items[] | "\(.severity) \(.code) row \(.row // "-"): \(.column // "file"): \(.message)"' >&2
  exit 2
fi
echo "Sending $(jq -r '.summary.rows' "$answer") rows as import $(jq -r '.id' "$answer"); waiting for Talkdesk."
wait_while '.final | not'

state=$(jq -r '.state' "$answer")
echo "Finished: $(jq -r '.state_label' "$answer")"
case $state in
  imported) exit 0 ;;
  imported_with_errors)
    echo "Rows Talkdesk rejected:" >&2
    curl -sS -H "$auth" "${import_url}/failed-rows?limit=500" \
      | jq -r '.items[] | "row \(.row // "?"): \(.cells["Agent Email"]) \(.cells["Start Time"]): \(.reason)"' >&2
    exit 1 ;;
  *) echo "$(jq -r '.message' "$answer")" >&2; exit 1 ;;
esac
