#!/usr/bin/env bash
# scripts/entry-demo.sh — the staff entry story through the API with tokens, as a
# statistics office would script it:
#   1. an editor enters the 2024 services-trade figure; trademon flags it as an
#      outlier against 2023 (409), so the editor confirms it with a comment;
#   2. the figure waits for approval (it counts nowhere yet);
#   3. an approver approves it, which locks the period;
#   4. the services-trade verdict changes (GET /api/v1/targets);
#   5. the audit trail shows both steps (GET /api/v1/audit).
# Usage:
#   TRADEMON_URL=http://127.0.0.1:8080 EDITOR_TOKEN=tmk_… APPROVER_TOKEN=tmk_… \
#     bash scripts/entry-demo.sh [VALUE_IN_亿美元]
# Tokens come from `trademon token NAME` (its sha256: line goes into the users file).
# Needs curl and jq. Exits non-zero, saying why, when a step does not do what it should.
set -euo pipefail
URL=${TRADEMON_URL:-http://127.0.0.1:8080}
: "${EDITOR_TOKEN:?set EDITOR_TOKEN to an editor's API token (trademon token NAME)}"
: "${APPROVER_TOKEN:?set APPROVER_TOKEN to an approver's API token}"
VALUE=${1:-2100}

die() { echo "entry-demo: $*" >&2; exit 1; }

# call TOKEN METHOD PATH [JSON]: prints the body, then the status code on the last line.
call() {
	local token=$1 method=$2 path=$3 body=${4:-}
	local args=(-sS -X "$method" -H "Authorization: Bearer $token" -w '\n%{http_code}')
	if [ -n "$body" ]; then args+=(-H 'Content-Type: application/json' --data "$body"); fi
	curl "${args[@]}" "$URL$path"
}
status_of() { tail -n 1 <<<"$1"; }
body_of() { sed '$d' <<<"$1"; }
verdict() { curl -sS "$URL/api/v1/targets" | jq -r '.[] | select(.target == "services_trade") | "\(.status) \(.period) \(.actual)"'; }

before=$(verdict)
echo "services_trade before:    $before"

figure=$(jq -cn --arg v "$VALUE" '{indicator: "services_trade", period: "2024", basis: "year", value: $v, unit: "亿美元",
	source_url: "https://commerce.sz.gov.cn/fwmy/2024.html", note: "市商务局 2024 年服务贸易统计"}')
res=$(call "$EDITOR_TOKEN" POST /api/v1/observations "$figure")
case $(status_of "$res") in
409)
	echo "outlier flagged:          $(body_of "$res" | jq -r .error | cut -c1-120)…"
	figure=$(jq -c '. + {confirm: "2024年起统计口径含数字服务贸易"}' <<<"$figure")
	res=$(call "$EDITOR_TOKEN" POST /api/v1/observations "$figure")
	;;
esac
[ "$(status_of "$res")" = 201 ] || die "entering the figure: HTTP $(status_of "$res"): $(body_of "$res")"
stored=$(body_of "$res" | jq -c '.observations[0]')
id=$(jq -r .pending_id <<<"$stored")
echo "entered:                  $(jq -r '"\(.display) = \(.value) \(.unit), status \(.status)"' <<<"$stored")"
[ "$(jq -r .status <<<"$stored")" = pending ] || die "want the figure pending, got $(jq -r .status <<<"$stored")"

res=$(call "$APPROVER_TOKEN" POST "/api/v1/approvals/$id/approve" '{"comment":"与市商务局公报核对无误"}')
[ "$(status_of "$res")" = 200 ] || die "approving: HTTP $(status_of "$res"): $(body_of "$res")"
echo "approved:                 $(body_of "$res" | jq -r '.observations[0] | "\(.display), locked \(.locked)"')"

after=$before
for _ in $(seq 1 50); do # the evaluation refreshes right after the write
	after=$(verdict)
	[ "$after" != "$before" ] && break
	sleep 0.1
done
echo "services_trade after:     $after"
[ "$after" != "$before" ] || die "the services_trade verdict did not change"

trail=$(call "$APPROVER_TOKEN" GET "/api/v1/audit?indicator=services_trade")
[ "$(status_of "$trail")" = 200 ] || die "reading the audit: HTTP $(status_of "$trail")"
echo "audit trail:"
body_of "$trail" | jq -r '.audit[] | "  \(.time) \(.user) \(.action) \(.period) \(.new_value) \(.detail)"'
for action in create approve; do
	body_of "$trail" | jq -e --arg a "$action" '[.audit[] | select(.action == $a and .period == "2024")] | length > 0' >/dev/null ||
		die "the audit trail has no $action of the 2024 figure"
done
echo "entry-demo: OK"
