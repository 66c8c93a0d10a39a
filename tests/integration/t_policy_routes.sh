#!/bin/bash
# Every route asks the policy (issue #12 item 3; docs/POLICY.md "Routes").
#
# 1. The issue's own case: with "deny * audit" in the admin role, GET
#    /credentials/audit, /export and /pubkey answer 403 (they answered 200),
#    the vault warns about them at start, and other routes still work.
# 2. The walk: vault/api/routes.c lists what each route asks the policy
#    (api_route_policies). For every route that asks something, the role file
#    holds one rule that denies exactly that question from one address of
#    its own (127.0.3.N). From there the route answers 403 forbidden with the
#    rule's reason and leaves one "deny" audit record naming the rule (also
#    GET /metrics, whose served requests leave none), while another route
#    from the same address is served; from 127.0.0.1, where no deny applies
#    and the role file is the default, the same request is served (the
#    control). A route of routes.c without a row here, or a row whose
#    question differs from routes.c's, fails the test.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"
. "$(dirname "$0")/lib_audit.sh"
ROUTES=$(cd "$(dirname "$0")/../.." && pwd)/vault/api/routes.c
PW="policy routes $(canary pw)"
NET=127.0.3

# preq ADDR METHOD PATH [BODY]: one request with the session from source address ADDR.
# Sets PS (status) and PRID (X-Request-Id); the body is in $T/preq.body.
preq() {
	local addr=$1 m=$2 p=$3 body=${4-}
	local a=(-sS -X "$m" -o "$T/preq.body" -D "$T/preq.hdr" -w '%{http_code}' --max-time 60
		--interface "$addr" --cacert "$S/tls/cert.pem" -H "Authorization: Bearer $SESSION")
	[ -n "$body" ] && a+=(-H 'Content-Type: application/json' --data-binary "$body")
	: >"$T/preq.hdr"
	PS=$(curl "${a[@]}" "$URL$p" 2>/dev/null) || PS=000
	PRID=$(tr -d '\r' <"$T/preq.hdr" | sed -n 's/^[Xx]-[Rr]equest-[Ii]d: *//p' | tail -1)
}

# login STEP: sign alice in with the TOTP code of now + STEP * 30 s; sets SESSION.
login() {
	SESSION=$(vcurl -X POST -H 'Content-Type: application/json' --data-binary \
		"{\"name\":\"alice\",\"password\":\"$PW\",\"totp\":\"$(totp_code "$1")\"}" \
		"$URL/auth/login" | jq -r '.session // empty')
	[ -n "$SESSION" ]
}

restart_vault() {
	kill "$VPID" 2>/dev/null; wait "$VPID" 2>/dev/null
	start_vault "$S" "$T/vault.log"
}

# ---- what routes.c says each route asks ---------------------------------------------
mapfile -t RT_NAMES < <(sed -n 's/^[[:space:]]*{ HTTP_[A-Z]*, "[^"]*", ROUTE_[A-Z_]*, [a-z_]*, "\([a-z_]*\)",.*/\1/p' "$ROUTES")
declare -A ASKS EXEMPT
while IFS='|' read -r name action res; do ASKS[$name]="$action $res"; done < <(sed -n \
	's/^[[:space:]]*{ "\([a-z_]*\)", "\([a-z]*\)", "\([^"]*\)", NULL },.*/\1|\2|\3/p' "$ROUTES")
while IFS='|' read -r name; do EXEMPT[$name]=1; done < <(sed -n \
	's/^[[:space:]]*{ "\([a-z_]*\)", NULL, NULL, ".*/\1/p' "$ROUTES")
check "routes.c parsed: ${#RT_NAMES[@]} routes, each asking or exempt (${#ASKS[@]} + ${#EXEMPT[@]})" \
	test "${#RT_NAMES[@]}" -ge 20 -a "${#RT_NAMES[@]}" -eq $(( ${#ASKS[@]} + ${#EXEMPT[@]} ))

# ---- the walk's table ------------------------------------------------------------------
# ROUTE | METHOD | PATH | BODY | ACTION RESOURCE (as routes.c says) | DENY PATTERN | SERVED STATUS
# (Approving and picking up need a fresh TOTP code, which the policy's answer comes before:
# served, they are asked of an approval rejected just before (409) and of a revoked grant's
# pickup (409), answers given only past the policy. @AP@, @AP2@: pending approvals; @GP@: a
# pickup grant, revoked.)
# @C1@, @C2@, @C3@: credentials pol/c1, pol/c2 and pol/c3 (granted); @H1@ a helper; @H2@ a helper to remove;
# @G@ a grant to revoke; @TOTP@ a fresh code of alice's (her session's was the step before).
# Destructive rows come after the rows that need what they remove; bob, whom
# admin_reset resets, is made by admin_add.
ROWS=(
	"metrics|GET|/metrics||read metrics|metrics|200"
	"auth_session|GET|/auth/session||read session|session|200"
	"admin_list|GET|/admins||list admins|admins|200"
	"admin_add|POST|/admins/bob|{\"password\":\"bob's long password\",\"totp\":\"@TOTP@\"}|create admins/{name}|admins/bob|201"
	"cred_create|POST|/credentials|{\"name\":\"c-new\",\"type\":\"api_key\",\"service\":\"pol\",\"secret\":\"s-new\"}|create credentials/{service}/{name}|credentials/pol/c-new|201"
	"cred_list|GET|/credentials||list credentials|credentials|200"
	"audit_read|GET|/credentials/audit?limit=1||list audit|audit|200"
	"audit_export|GET|/credentials/audit/export||audit audit|audit|200"
	"audit_pubkey|GET|/credentials/audit/pubkey||read audit|audit|200"
	"grant_create|POST|/credentials/grant|{\"helper\":\"@H1@\",\"credentials\":[\"@C3@\"],\"actions\":[\"read\"]}|grant grants|grants|201"
	"cred_get|GET|/credentials/@C1@||read credentials/{service}/{name}|credentials/pol/c1|200"
	"cred_update|PUT|/credentials/@C1@|{\"secret\":\"s1-v2\"}|update credentials/{service}/{name}|credentials/pol/c1|200"
	"cred_versions|GET|/credentials/@C1@/versions||list credentials/{service}/{name}|credentials/pol/c1|200"
	"cred_revoke|DELETE|/credentials/@C2@||delete credentials/{service}/{name}|credentials/pol/c2|200"
	"helper_create|POST|/helpers|{\"name\":\"Pol Three\",\"contact\":\"three@example.com\",\"kind\":\"setup\"}|create helpers|helpers|201"
	"helper_list|GET|/helpers||list helpers|helpers|200"
	"helper_revoke|DELETE|/helpers/@H2@||delete helpers/{id}|helpers/*|200"
	"grant_list|GET|/grants||list grants|grants|200"
	"grant_revoke|DELETE|/grants/@G@||delete grants/{accessor}|grants/*|200"
	"budget_list|GET|/budgets||list budgets|budgets|200"
	"budget_set|PUT|/budgets/pol|{\"daily\":50,\"currency\":\"USD\"}|update budgets/{service}|budgets/pol|200"
	"budget_resume|POST|/budgets/polp/resume||update budgets/{service}/resume|budgets/*/resume|202"
	"cost_read|GET|/outreach/cost||read cost|cost|200"
	"alert_list|GET|/alerts||list alerts|alerts|200"
	"alert_ack|POST|/alerts/@AL@/ack||update alerts/{id}/ack|alerts/*/ack|200"
	"alert_resolve|POST|/alerts/@AL@/resolve||update alerts/{id}/resolve|alerts/*/resolve|200"
	"broker_create|POST|/brokers|{\"role\":\"outreach\",\"name\":\"pol\"}|create brokers|brokers|201"
	"broker_list|GET|/brokers||list brokers|brokers|200"
	"job_create|POST|/jobs|{\"kind\":\"verify\",\"service\":\"pol\"}|create jobs/{kind}/{service}|jobs/verify/pol|201"
	"job_list|GET|/jobs||list jobs|jobs|200"
	"job_get|GET|/jobs/@J@||read jobs/{id}|jobs/*|200"
	"lease_list|GET|/leases||list leases|leases|200"
	"lease_end|DELETE|/leases/@L@||delete leases/{id}|leases/*|200"
	"broker_revoke|DELETE|/brokers/@B@||delete brokers/{id}|brokers/*|200"
	"approval_list|GET|/approvals||list approvals|approvals|200"
	"approval_get|GET|/approvals/@AP@||read approvals/{id}|approvals/*|200"
	"approval_reject|POST|/approvals/@AP2@/reject||update approvals/{id}/reject|approvals/*/reject|200"
	"approval_approve|POST|/approvals/@AP2@/approve|{\"totp\":\"000000\"}|update approvals/{id}/approve|approvals/*/approve|409"
	"grant_pickup|POST|/grants/@GP@/pickup|{\"totp\":\"000000\"}|read grants/{accessor}/pickup|grants/*/pickup|409"
	"outreach_list_create|POST|/outreach/lists|{\"name\":\"pol-new\",\"format\":\"json\",\"contacts\":[{\"email\":\"n@example.com\"}]}|create outreach/lists|outreach/lists|201"
	"outreach_list_list|GET|/outreach/lists||list outreach/lists|outreach/lists|200"
	"outreach_list_get|GET|/outreach/lists/@OL@||read outreach/lists/{id}|outreach/lists/*|200"
	"outreach_list_append|POST|/outreach/lists/@OL@/contacts|{\"format\":\"json\",\"contacts\":[{\"email\":\"m@example.com\"}]}|update outreach/lists/{id}|outreach/lists/*|200"
	"outreach_contact_list|GET|/outreach/lists/@OL@/contacts||list outreach/lists/{id}|outreach/lists/*|200"
	"suppression_list|GET|/outreach/suppressions||list outreach/suppressions|outreach/suppressions|200"
	"suppression_add|POST|/outreach/suppressions|{\"address\":\"pol@example.com\"}|create outreach/suppressions|outreach/suppressions|201"
	"suppression_delete|DELETE|/outreach/suppressions/pol@example.com||delete outreach/suppressions|outreach/suppressions|200"
	"outreach_stats|GET|/outreach/stats||read outreach/stats|outreach/stats|200"
	"admin_reset|POST|/admins/bob/reset||update admins/{name}|admins/bob|200"
	"outreach_email|POST|/outreach/email|{\"list\":\"pol-camp\",\"from\":\"n@example.com\",\"subject\":\"s\",\"text\":\"t\",\"provider\":\"smtp\"}|create outreach/campaigns/email|outreach/campaigns/email|201"
	"outreach_sms|POST|/outreach/sms|{\"list\":\"pol-camp\",\"from\":\"+15550000000\",\"body\":\"b\",\"provider\":\"twilio\",\"start\":false}|create outreach/campaigns/sms|outreach/campaigns/sms|201"
	"campaign_list|GET|/outreach/campaigns||list outreach/campaigns|outreach/campaigns|200"
	"campaign_get|GET|/outreach/campaigns/@CP@||read outreach/campaigns/{id}|outreach/campaigns/*|200"
	"campaign_start|POST|/outreach/campaigns/@CP@/start||update outreach/campaigns/{id}/start|outreach/campaigns/*/start|200"
	"campaign_pause|POST|/outreach/campaigns/@CP@/pause||update outreach/campaigns/{id}/pause|outreach/campaigns/*/pause|200"
	"campaign_resume|POST|/outreach/campaigns/@CP@/resume||update outreach/campaigns/{id}/resume|outreach/campaigns/*/resume|200"
	"campaign_cancel|POST|/outreach/campaigns/@CP@/cancel||update outreach/campaigns/{id}/cancel|outreach/campaigns/*/cancel|200"
	"ad_create|POST|/outreach/ad|{\"name\":\"pol-ad2\",\"credential\":\"pol-meta\",\"account\":\"act_1\",\"post\":\"1_2\",\"daily_budget\":{\"amount\":100,\"currency\":\"USD\"},\"countries\":[\"US\"]}|create outreach/ads|outreach/ads|201"
	"ad_list|GET|/outreach/ads||list outreach/ads|outreach/ads|200"
	"ad_get|GET|/outreach/ads/@AD@||read outreach/ads/{id}|outreach/ads/*|200"
	"ad_pause|POST|/outreach/ads/@AD@/pause||update outreach/ads/{id}/pause|outreach/ads/*/pause|409"
	"ad_resume|POST|/outreach/ads/@AD@/resume||update outreach/ads/{id}/resume|outreach/ads/*/resume|409"
)
declare -A HAVE
for row in "${ROWS[@]}"; do
	IFS='|' read -r name _ _ _ asks _ _ <<<"$row"
	HAVE[$name]=1
	[ "${ASKS[$name]:-}" = "$asks" ] ||
		notok "route $name: the test asks '$asks', routes.c says '${ASKS[$name]:-nothing}'"
done
# Broker routes ask their role's rules, on the unix socket only (no address to deny
# from): t_brokers.sh and t_leases.sh show their refusals (403 policy, default deny).
for r in "lease_create|lease credentials/{service}/{name}" "job_claim|claim jobs/{kind}/{service}" \
	"send_get|read outreach/sends" "send_sending|update outreach/sends/sending" \
	"send_sent|update outreach/sends/sent" "outreach_track|read outreach/track" \
	"outreach_events|create outreach/events" "ad_job_get|read outreach/ad-jobs" \
	"ad_job_step|update outreach/ad-jobs/step"; do
	HAVE[${r%%|*}]=1
	[ "${ASKS[${r%%|*}]:-}" = "${r#*|}" ] ||
		notok "route ${r%%|*}: the test asks '${r#*|}', routes.c says '${ASKS[${r%%|*}]:-nothing}'"
done
for name in "${RT_NAMES[@]}"; do
	[ -n "${EXEMPT[$name]:-}" ] || [ -n "${HAVE[$name]:-}" ] ||
		notok "route $name of routes.c has no row in t_policy_routes.sh"
done

# ---- 1. deny * audit --------------------------------------------------------------------
init_dev "$T/s" >/dev/null 2>&1 || { notok "init"; finish; }
S=$T/s
echo "broker_uid_outreach = $(id -u)" >>"$S/bos.conf"
printf '%s\n' "outreach_public_url = https://hooks.example.test" \
	"outreach_postal_address = 1 Main St" >>"$S/bos.conf"
cp "$S/roles.policy" "$T/default.policy"
{ cat "$T/default.policy"; echo "deny * audit"; } >"$S/roles.policy"
check "vault starts with 'deny * audit' in the admin role" start_vault "$S" "$T/vault.log"
check "admin created and signed in" admin_setup alice "$PW"
declare -A AUDIT_RID
for p in /credentials/audit /credentials/audit/export /credentials/audit/pubkey; do
	preq 127.0.0.1 GET "$p"
	AUDIT_RID[$p]=$PRID
	check "deny * audit: GET $p answers 403 forbidden with the rule" bash -c \
		"test '$PS' = 403 && jq -e '.error.code == \"forbidden\" and (.error.message |
		test(\"rule at roles.policy:[0-9]+ denies (list|audit|read) on audit\"))' '$T/preq.body'"
done
preq 127.0.0.1 GET /credentials
check "deny * audit: GET /credentials still answers 200" test "$PS" = 200
for r in audit_read audit_export audit_pubkey; do
	check "deny * audit: the vault warned at start that route $r answers 403" \
		grep -q "route $r asks for .* on audit, which role admin may not do" "$T/vault.log"
done

# ---- 2. one deny rule per route, each from its own address ------------------------------
cp "$T/default.policy" "$S/roles.policy"
declare -A ADDR
n=1
for row in "${ROWS[@]}"; do
	IFS='|' read -r name _ _ _ asks pat _ <<<"$row"
	ADDR[$name]=$NET.$n
	echo "deny ${asks%% *} $pat from $NET.$n" >>"$S/roles.policy"
	n=$((n + 1))
done
check "vault restarts with one deny rule per route" restart_vault
check "denies limited to other addresses: no warning at start" \
	bash -c "! grep -q 'which role admin may not do' '$T/vault.log'"
check "signed in again" login 0

mk() { preq 127.0.0.1 POST "$1" "$2"; jq -r "$3 // empty" "$T/preq.body"; }
C1=$(mk /credentials '{"name":"c1","type":"api_key","service":"pol","secret":"s1"}' .id)
C2=$(mk /credentials '{"name":"c2","type":"api_key","service":"pol","secret":"s2"}' .id)
# Granted: a credential no deny rule names (a grant may not reach where a deny could apply).
C3=$(mk /credentials '{"name":"c3","type":"api_key","service":"pol","secret":"s3"}' .id)
H1=$(mk /helpers '{"name":"Pol One","contact":"one@example.com","kind":"setup"}' .id)
H2=$(mk /helpers '{"name":"Pol Two","contact":"two@example.com","kind":"setup"}' .id)
G=$(mk /credentials/grant "{\"helper\":\"$H1\",\"credentials\":[\"$C3\"],\"actions\":[\"read\"]}" .accessor)
check "setup: 3 credentials, 2 helpers, a grant" bash -c \
	"[[ '$C1' == cr_* && '$C2' == cr_* && '$C3' == cr_* && '$H1' == hl_* && '$H2' == hl_* && '$G' == acc_* ]]"
# A budget of 0 is paused at once (for budget_resume); spend at 100 % of another raises alerts.
preq 127.0.0.1 PUT /budgets/polp '{"daily":0,"currency":"USD"}'
preq 127.0.0.1 PUT /budgets/pol '{"daily":100,"currency":"USD"}'
"$BOS_TESTBIN/spend_tool" "$S" jb_pol pol 100 USD >/dev/null 2>&1
preq 127.0.0.1 GET /alerts
AL=$(jq -r '.alerts[0].id // empty' "$T/preq.body")
check "setup: a paused budget and an alert" bash -c "[[ '$AL' == al_* ]]"
# Two raises of pol waiting for approval, and a pickup grant revoked (issue #15).
preq 127.0.0.1 PUT /budgets/pol '{"daily":300,"currency":"USD"}'
AP=$(jq -r '.approval.id // empty' "$T/preq.body")
preq 127.0.0.1 PUT /budgets/pol '{"daily":400,"currency":"USD"}'
AP2=$(jq -r '.approval.id // empty' "$T/preq.body")
GP=$(mk /credentials/grant "{\"helper\":\"$H1\",\"credentials\":[\"$C3\"],\"actions\":[\"read\"],\"delivery\":\"pickup\"}" .accessor)
preq 127.0.0.1 DELETE "/grants/$GP"
check "setup: two pending approvals, a revoked pickup grant" bash -c \
	"[[ '$AP' == ap_* && '$AP2' == ap_* && '$GP' == acc_* && '$PS' == 200 ]]"
# A broker holding a lease of a sendgrid key for a claimed job (lease_end, broker_revoke).
mk /credentials '{"name":"pol-sg","type":"api_key","service":"sendgrid","secret":"sg"}' .id >/dev/null
J=$(mk /jobs '{"kind":"verify","service":"sendgrid"}' .job.id)
BT=$(mk /brokers '{"role":"outreach","name":"pol-b"}' .token)
B=$(jq -r '.id // empty' "$T/preq.body")
curl -s -o /dev/null --unix-socket "$S/vault.sock" -H "Authorization: Bearer $BT" -H 'Content-Type: application/json' \
	--data-binary '{"kinds":["verify"],"wait":0}' http://vault/jobs/claim
L=$(curl -s --unix-socket "$S/vault.sock" -H "Authorization: Bearer $BT" -H 'Content-Type: application/json' \
	--data-binary "{\"credential\":\"pol-sg\",\"purpose\":\"policy routes\",\"job\":\"$J\"}" \
	http://vault/leases | jq -r '.lease // empty')
check "setup: a job, a broker and its lease" bash -c "[[ '$J' == jb_* && '$B' == bk_* && '$L' == ls_* ]]"
# A list of one SMS contact, an SMTP and a Twilio key, and a draft SMS campaign (@CP@) on it.
mk /credentials '{"name":"pol-smtp","type":"api_key","service":"smtp","secret":"p"}' .id >/dev/null
mk /credentials '{"name":"pol-tw","type":"api_key","service":"twilio","secret":"t"}' .id >/dev/null
OL=$(mk /outreach/lists '{"name":"pol-camp","format":"json","contacts":[{"phone":"+15551230000","consent":"sms"}]}' .list.id)
CP=$(mk /outreach/sms '{"list":"pol-camp","from":"+15550000000","body":"b","provider":"twilio","start":false}' .campaign.id)
check "setup: a list and a draft campaign" bash -c "[[ '$OL' == ol_* && '$CP' == cp_* ]]"
# A Meta key, a budget of meta and an ad being created (@AD@: neither pausable nor resumable).
mk /credentials '{"name":"pol-meta","type":"api_key","service":"meta","secret":"m"}' .id >/dev/null
preq 127.0.0.1 PUT /budgets/meta '{"daily":100000,"currency":"USD"}'
AD=$(mk /outreach/ad '{"name":"pol-ad","credential":"pol-meta","account":"act_1","post":"1_2","daily_budget":{"amount":100,"currency":"USD"},"countries":["US"]}' .ad.id)
check "setup: an ad" bash -c "[[ '$AD' == ad_* ]]"
subst() {
	local s=$1
	s=${s//@TOTP@/$(totp_code 1)}; s=${s//@C1@/$C1}; s=${s//@C2@/$C2}; s=${s//@C3@/$C3}; s=${s//@H1@/$H1}; s=${s//@H2@/$H2}; s=${s//@G@/$G}; s=${s//@AL@/$AL}; s=${s//@J@/$J}; s=${s//@L@/$L}; s=${s//@B@/$B}; s=${s//@AP2@/$AP2}; s=${s//@AP@/$AP}; s=${s//@GP@/$GP}; s=${s//@CP@/$CP}; s=${s//@OL@/$OL}; s=${s//@AD@/$AD}
	printf '%s' "$s"
}

: >"$T/denied"
for row in "${ROWS[@]}"; do
	IFS='|' read -r name m path body asks pat ok <<<"$row"
	path=$(subst "$path"); body=$(subst "$body")
	preq "${ADDR[$name]}" "$m" "$path" "$body"
	echo "$PRID $name ${asks%% *}" >>"$T/denied"
	check "$name: from ${ADDR[$name]} (deny ${asks%% *} $pat) 403 forbidden with the rule" bash -c \
		"test '$PS' = 403 && jq -e '.error.code == \"forbidden\" and (.error.message |
		test(\"rule at roles.policy:[0-9]+ denies ${asks%% *} on\"))' '$T/preq.body'"
	other=/helpers; [ "$name" = helper_list ] && other=/grants
	preq "${ADDR[$name]}" GET "$other"
	check "$name: from the same address GET $other is served (the rule denies only $name)" \
		test "$PS" = 200
	preq 127.0.0.1 "$m" "$path" "$body"
	check "$name: from 127.0.0.1 (no deny applies) the same request is served ($ok)" \
		test "$PS" = "$ok"
done

# ---- the audit trail: one deny record per refusal, naming the rule ----------------------
audit_fetch "$T/trail.json" >/dev/null || notok "reading the audit trail"
while read -r rid name action; do
	check "$name: exactly one record of the refusal, decision deny, reason naming the rule" \
		jq -e --arg r "$rid" --arg n "$name" --arg a "$action" '[.[] | select(.request_id == $r)] |
		length == 1 and .[0].decision == "deny" and .[0].action == $n and
		(.[0].reason | test("rule at roles.policy:[0-9]+ denies " + $a + " on"))' "$T/trail.json"
done <"$T/denied"
for p in /credentials/audit /credentials/audit/export /credentials/audit/pubkey; do
	check "deny * audit: the refusal of GET $p has its deny record" \
		jq -e --arg r "${AUDIT_RID[$p]}" '[.[] | select(.request_id == $r)] | length == 1 and
		.[0].decision == "deny" and (.[0].reason | test("denies .* on audit"))' "$T/trail.json"
done
finish
