#!/bin/bash
# Broker principals against the real vault (issue #14 item 1, docs/BROKERS.md
# "Principals: brokers"), with curl on HTTPS and on the unix socket:
# registration shows the token once (never in lists, the log or the audit
# trail); a broker token over TCP is 403 broker_unix_only; from a uid other
# than its role's (bos.conf broker_uid_ROLE), or for a role without one, 403
# broker_uid; a revoked or unknown broker 401; a broker token on admin and
# credential routes 403, an admin session on broker routes 403; what a role
# may do is its rules' (default deny: outreach leases and claims no stripe);
# malformed bodies, unknown fields, roles and job kinds are 400 and change
# nothing; the vault warns at start about a role file without a broker role;
# --dev lets an unset role sign in from the vault's own uid.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"
. "$(dirname "$0")/lib_broker.sh"

ME=$(id -u)
OTHER=$((ME + 4242))
check "vault up (outreach from uid $ME, monitor from uid $OTHER, hiring unset)" \
	api_up "$T/s" "broker_uid_outreach = $ME" "broker_uid_monitor = $OTHER" || finish
check "admin signed in" admin_setup alice "alice's long password $(canary p)" || finish

# ---- registration: the token once ---------------------------------------------------
out=$(api POST /brokers '{"role":"outreach","name":"outreach one"}')
check "POST /brokers: 201" test "$(st)" = 201
TOK=$(jq -r .token <<<"$out")
BID=$(jq -r .id <<<"$out")
ACC=$(jq -r .accessor <<<"$out")
check "the answer has a bos_b_ token, a bk_ id and an acc_ accessor" \
	bash -c "[[ '$TOK' =~ ^bos_b_[0-9A-Za-z]{49}$ && '$BID' == bk_* && '$ACC' == acc_* ]]"
lst=$(api GET /brokers)
check "GET /brokers lists it, role outreach, active" jq -e --arg id "$BID" \
	'.brokers | map(select(.id == $id and .role == "outreach" and .status == "active")) | length == 1' <<<"$lst"
check "GET /brokers shows no token (shown once)" bash -c "! grep -q -- '$TOK' <<<'$lst' && ! jq -e '.brokers[] | has(\"token\")' <<<'$lst'"
MON=$(broker_add monitor)
HIR=$(broker_add hiring)
REV=$(broker_add outreach revoked-one)
check "brokers of each role registered" bash -c "[[ '$MON' == bos_b_* && '$HIR' == bos_b_* && '$REV' == bos_b_* ]]"

# ---- where a broker token is accepted ---------------------------------------------
s=$(breq "$TOK" POST /jobs/claim '{"kinds":["verify"],"wait":0}')
check "outreach broker on the unix socket from uid $ME: claim answers 204 (nothing queued)" test "$s" = 204
s=$(btcp "$TOK" POST /jobs/claim '{"kinds":["verify"],"wait":0}')
check "the same token over HTTPS: 403 broker_unix_only" bash -c "[ '$s' = 403 ] && [ '$(bcode)' = broker_unix_only ]"
s=$(btcp "$TOK" POST /leases '{"credential":"x","purpose":"p","job":"jb_aaaaaaaaaaaaaaaaaaaaaaaaaa"}')
check "POST /leases over HTTPS: 403 broker_unix_only" bash -c "[ '$s' = 403 ] && [ '$(bcode)' = broker_unix_only ]"
s=$(breq "$MON" POST /jobs/claim '{"kinds":["verify"]}')
check "monitor broker from uid $ME (bos.conf says $OTHER): 403 broker_uid" bash -c "[ '$s' = 403 ] && [ '$(bcode)' = broker_uid ]"
s=$(breq "$HIR" POST /jobs/claim '{"kinds":["verify"],"wait":0}')
check "hiring broker, no broker_uid_hiring: 403 broker_uid" bash -c "[ '$s' = 403 ] && [ '$(bcode)' = broker_uid ]"
s=$(breq "" POST /jobs/claim '{"kinds":["verify"],"wait":0}')
check "no token on a broker route: 401" test "$s" = 401
s=$(breq "${TOK%??????}AAAAAA" POST /jobs/claim '{"kinds":["verify"],"wait":0}')
check "a mistyped broker token: 401" test "$s" = 401

# ---- revocation ---------------------------------------------------------------------
RID=$(api GET /brokers | jq -r '.brokers[] | select(.name == "revoked-one") | .id')
s=$(breq "$REV" POST /jobs/claim '{"kinds":["verify"],"wait":0}')
check "the second outreach broker works before its revocation (204)" test "$s" = 204
api DELETE "/brokers/$RID" >/dev/null
check "DELETE /brokers/ID: 200" test "$(st)" = 200
s=$(breq "$REV" POST /jobs/claim '{"kinds":["verify"],"wait":0}')
check "its token right after: 401" test "$s" = 401
s=$(breq "$REV" POST /leases '{"credential":"x","purpose":"p","job":"jb_aaaaaaaaaaaaaaaaaaaaaaaaaa"}')
check "a lease with it: 401" test "$s" = 401
api DELETE "/brokers/$RID" >/dev/null
check "revoking it again: 410" test "$(st)" = 410
api DELETE "/brokers/bk_aaaaaaaaaaaaaaaaaaaaaaaaaa" >/dev/null
check "revoking an unknown broker: 404" test "$(st)" = 404
api GET /brokers >"$T/list.json"
check "GET /brokers: it is revoked, by alice" jq -e --arg id "$RID" \
	'.brokers[] | select(.id == $id) | .status == "revoked" and .revoked_by == "alice"' "$T/list.json"

# A broker revoked while its claim waits gets no job: the waiting claim answers 401.
WAITER=$(broker_add outreach waiter)
WID=$(api GET /brokers | jq -r '.brokers[] | select(.name == "waiter") | .id')
curl -s -o "$T/w.json" -w '%{http_code}' --max-time 20 --unix-socket "$S/vault.sock" -X POST \
	-H "Authorization: Bearer $WAITER" -H 'Content-Type: application/json' \
	--data-binary '{"kinds":["verify"],"wait":8}' http://vault/jobs/claim >"$T/w.st" &
wpid=$!
sleep 1
api DELETE "/brokers/$WID" >/dev/null
JW=$(job_add sendgrid '"idempotency_key":"for-a-revoked-waiter"')
wait "$wpid"
check "a waiting claim whose broker is revoked meanwhile answers 401 and takes no job" \
	test "$(cat "$T/w.st"):$(jstate "$JW")" = "401:queued"
claim "$TOK" 0
s=$(breq "$TOK" POST "/jobs/$JW/complete" "{\"claim\":\"$CLAIM\",\"result\":{}}")
check "... a live broker takes it and completes it" test "$JOB:$s" = "$JW:200"

# ---- a broker is no admin, an admin no broker ------------------------------------------
for p in /jobs /brokers /leases /credentials/audit /admins; do
	s=$(breq "$TOK" GET "$p")
	check "broker token on admin route GET $p: 403" test "$s" = 403
done
s=$(breq "$TOK" GET /credentials)
check "broker token on GET /credentials (admins and helpers): 403" test "$s" = 403
s=$(breq "$TOK" POST /jobs '{"kind":"verify","service":"sendgrid"}')
check "broker token on POST /jobs: 403" test "$s" = 403
s=$(breq "$SESSION" POST /jobs/claim '{"kinds":["verify"],"wait":0}')
check "admin session on POST /jobs/claim (unix socket): 403" test "$s" = 403
s=$(breq "$SESSION" POST /leases '{"credential":"x","purpose":"p","job":"jb_aaaaaaaaaaaaaaaaaaaaaaaaaa"}')
check "admin session on POST /leases: 403" test "$s" = 403
s=$(btcp "$SESSION" POST /jobs/claim '{"kinds":["verify"],"wait":0}')
check "admin session on POST /jobs/claim over HTTPS: 403" test "$s" = 403

# ---- the role's rules, default deny -----------------------------------------------------
SID=$(api POST /credentials '{"name":"stripe-main","type":"api_key","service":"stripe","secret":"sk_test_x"}' | jq -r .id)
GID=$(api POST /credentials '{"name":"sendgrid-main","type":"api_key","service":"sendgrid","secret":"SG.x"}' | jq -r .id)
J1=$(job_add stripe)
check "a stripe job queued" bash -c "[[ '$J1' == jb_* ]]"
claim "$TOK" 0
check "outreach may not claim jobs/verify/stripe: 204, the job stays queued" \
	test "$CST:$(jstate "$J1")" = 204:queued
J2=$(job_add sendgrid)
claim "$TOK" 0
check "outreach claims jobs/verify/sendgrid: 200, that job" bash -c "[ '$CST' = 200 ] && [ '$JOB' = '$J2' ]"
s=$(breq "$TOK" POST /leases "{\"credential\":\"$SID\",\"purpose\":\"verify\",\"job\":\"$J2\"}")
check "outreach may not lease the stripe key: 403 policy (no rule of role outreach allows lease)" \
	bash -c "[ '$s' = 403 ] && [ '$(bcode)' = policy ] && jq -e '.error.message | test(\"role outreach\")' '$T/b.json'"
check "the refusal holds no secret" bash -c "! grep -q sk_test_x '$T/b.json'"

# ---- bad input: 400, nothing changed -----------------------------------------------------
nb=$(api GET /brokers | jq '.brokers | length')
for body in '{"role":"admin"}' '{"role":"outreach","name":"x","extra":1}' '{"name":"x"}' '{"role":7}' \
	"{\"role\":\"outreach\",\"name\":\"$(printf 'n%.0s' $(seq 65))\"}" '{"role":"outreach","name":" edge"}' \
	'{"role":"outreach","name":"a/b"}' '[1]' '{"role":"outreach"'; do
	api POST /brokers "$body" >/dev/null
	check "POST /brokers $body: 400" test "$(st)" = 400
done
check "no broker was added by them" test "$(api GET /brokers | jq '.brokers | length')" = "$nb"
nj=$(api GET /jobs | jq '.jobs | length')
for body in '{"kind":"nope","service":"sendgrid"}' '{"kind":"verify"}' '{"kind":"verify","service":"Bad Service"}' \
	'{"kind":"verify","service":"sendgrid","surprise":true}' '{"kind":"verify","service":"sendgrid","params":[1]}' \
	'{"kind":"verify","service":"sendgrid","max_attempts":0}' '{"kind":"verify","service":"sendgrid","estimate":{"amount":-1,"currency":"USD"}}' \
	'{"kind":"verify","service":"sendgrid","estimate":{"amount":5,"currency":"usd"}}' \
	'{"kind":"verify","service":"sendgrid","estimate":{"amount":5,"currency":"ZZZ"}}' \
	'{"kind":"verify","service":"sendgrid","idempotency_key":"has space"}' \
	'{"kind":"verify","service":"sendgrid","params":{"note":"4111 1111 1111 1111"}}' \
	"{\"kind\":\"verify\",\"service\":\"sendgrid\",\"credential\":\"$SID\"}" \
	'{"kind":"verify","service":"sendgrid","credential":"no-such-credential"}'; do
	api POST /jobs "$body" >/dev/null
	check "POST /jobs $body: 400" test "$(st)" = 400
done
check "no job was added by them" test "$(api GET /jobs | jq '.jobs | length')" = "$nj"
for body in '{"kinds":["nope"]}' '{"kinds":[]}' '{"kinds":"verify"}' '{"kinds":["verify"],"wait":31}' \
	'{"kinds":["verify"],"wait":-1}' '{"kinds":["verify"],"extra":1}' '{}'; do
	s=$(breq "$TOK" POST /jobs/claim "$body")
	check "POST /jobs/claim $body: 400" test "$s" = 400
done
api GET "/jobs?kind=nope" >/dev/null
check "GET /jobs?kind=nope: 400" test "$(st)" = 400
api GET "/jobs?state=sleeping" >/dev/null
check "GET /jobs?state=sleeping: 400" test "$(st)" = 400
check "the queue is as it was (no claim by the bad requests)" test "$(jstate "$J1")" = queued

# ---- no token anywhere it should not be -----------------------------------------------------
vcurl -H "Authorization: Bearer $SESSION" "$URL/credentials/audit/export" >"$T/export"
check "the audit trail has the registration record, naming the broker" \
	bash -c "grep 'broker_create' '$T/export' | grep -q '$BID'"
for t in "$TOK" "$MON" "$HIR" "$REV"; do
	check "token ${t:0:10}... in no audit record and not in the vault log" \
		bash -c "! grep -q -- '${t:6:20}' '$T/export' && ! grep -q -- '${t:6:20}' '$T/vault.log'"
done
check "the refused requests are in the trail as deny (broker_unix_only, broker_uid)" \
	bash -c "grep -q 'broker_unix_only' '$T/export' && grep -q 'broker_uid' '$T/export'"

# ---- the role file and --dev -----------------------------------------------------------
kill "$VPID"; wait "$VPID" 2>/dev/null
awk '/^\[role hiring\]/{skip=1; next} /^\[role /{skip=0} !skip' "$S/roles.policy" >"$T/roles" && cp "$T/roles" "$S/roles.policy"
sed -i '/^broker_uid_monitor/d' "$S/bos.conf"
cp "$T/vault.log" "$T/vault1.log"; check "the vault restarts with --dev and a role file without [role hiring]" start_vault "$S" "$T/vault2.log" --dev || finish
check "it warned at start that role hiring is missing" grep -q 'no \[role hiring\]' "$T/vault2.log"
check "it did not warn about outreach" bash -c "! grep -q 'no \[role outreach\]' '$T/vault2.log'"
claim "$MON" 0
check "--dev: monitor (broker_uid_monitor unset) signs in from the vault's uid and claims the stripe job outreach could not" \
	test "$CST:$JOB" = "200:$J1"
s=$(breq "$TOK" POST /jobs/claim '{"kinds":["verify"],"wait":0}')
check "outreach (configured) still works: 204 (its job is claimed already)" test "$s" = 204
finish
