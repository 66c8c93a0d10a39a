#!/bin/bash
# Leases against the real vault and SoftHSM (issue #14 item 2, docs/BROKERS.md
# "Leases"), with curl on the unix socket: a broker holding a live claim on a
# sendgrid job leases the sendgrid key (by name and by id) and gets the
# secret, counted as a read (last_read_at); refused with 403 and the
# contract's code for another service's key (policy), without a claim, with
# another broker's claim, an expired claim, a job of another service
# (job_not_claimed), a revoked credential (credential_revoked) and a paused
# budget (budget_paused); ttl 1..300 (default 30), purpose 1..128 printable,
# unknown fields: 400 and no lease; GET /leases lists metadata only; DELETE
# /leases/{id} by its broker or an admin, not by another broker. Each lease
# has exactly one audit record naming lease, credential and job; the canary
# secret is in no audit record, no error body and not in the vault log.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"
. "$(dirname "$0")/lib_broker.sh"

ME=$(id -u)
SECRET=$(canary lease)
SECRET2=$(canary mailgun)
check "vault up (outreach from uid $ME, claims held 6 s)" \
	api_up "$T/s" "broker_uid_outreach = $ME" "job_visibility_seconds = 6" || finish
check "admin signed in" admin_setup alice "alice's long password $(canary p)" || finish
TOK=$(broker_add outreach ob-one)
TOK2=$(broker_add outreach ob-two)
check "two outreach brokers" bash -c "[[ '$TOK' == bos_b_* && '$TOK2' == bos_b_* ]]" || finish

cred() { api POST /credentials "{\"name\":\"$1\",\"type\":\"api_key\",\"service\":\"$2\",\"secret\":\"$3\"}" | jq -r '.id // empty'; }
SG=$(cred sendgrid-main sendgrid "$SECRET")
SG2=$(cred sendgrid-old sendgrid "$(canary old)")
ST=$(cred stripe-main stripe "sk_$(canary stripe)")
MG=$(cred mailgun-main mailgun "$SECRET2")
check "credentials of sendgrid (2), stripe, mailgun" bash -c "[[ '$SG' == cr_* && '$SG2' == cr_* && '$ST' == cr_* && '$MG' == cr_* ]]"
: >"$T/bodies"
# lease TOKEN CREDENTIAL JOB [EXTRA]: POST /leases; prints the status.
lease() {
	local s
	s=$(breq "$1" POST /leases "{\"credential\":\"$2\",\"purpose\":\"verify the key\",\"job\":\"$3\"${4:+,$4}}")
	cat "$T/b.json" >>"$T/bodies"; echo >>"$T/bodies"
	echo "$s"
}

J=$(job_add sendgrid)
claim "$TOK" 0
check "ob-one claims the sendgrid job" test "$CST:$JOB" = "200:$J" || finish
CL1=$CLAIM
nread=$(api GET /credentials | jq -r --arg id "$SG" '.credentials[] | select(.id == $id) | .last_read_at')
check "sendgrid-main was never read" test "$nread" = null

# ---- the lease ------------------------------------------------------------------------
t0=$(date +%s)
s=$(lease "$TOK" sendgrid-main "$J")
cp "$T/b.json" "$T/lease1.json"
check "lease of sendgrid-main by name for the claimed job: 201" test "$s" = 201
LID=$(jq -r .lease "$T/lease1.json")
check "it carries the secret, a ls_ id and the credential's metadata (no secret in it)" jq -e --arg s "$SECRET" \
	--arg id "$SG" '.secret == $s and (.lease | startswith("ls_")) and .credential.id == $id and
	.credential.service == "sendgrid" and (.credential | has("secret") | not)' "$T/lease1.json"
exp=$(jq -r .expires_at "$T/lease1.json")
d=$(( $(date -d "$exp" +%s) - t0 ))
check "default ttl 30 s (expires in $d s)" test "$d" -ge 29 -a "$d" -le 32
nread=$(api GET /credentials | jq -r --arg id "$SG" '.credentials[] | select(.id == $id) | .last_read_at')
check "the lease counts as a read: last_read_at set ($nread)" test "$nread" != null
s=$(lease "$TOK" "$SG" "$J" '"ttl":300')
check "by id, ttl 300: 201" test "$s" = 201
LID2=$(jq -r .lease "$T/b.json")
d=$(( $(date -d "$(jq -r .expires_at "$T/b.json")" +%s) - $(date +%s) ))
check "expires in about 300 s ($d)" test "$d" -ge 297 -a "$d" -le 301

# ---- refusals -------------------------------------------------------------------------
s=$(lease "$TOK" stripe-main "$J")
check "another service's key (stripe, not in role outreach): 403 policy" test "$s:$(bcode)" = 403:policy
s=$(lease "$TOK" no-such-credential "$J")
check "an unknown credential: 403 policy (told as a refusal, not 404)" test "$s:$(bcode)" = 403:policy
s=$(lease "$TOK" mailgun-main "$J")
check "an allowed key of another service than the job's (mailgun for a sendgrid job): 403 job_not_claimed" \
	test "$s:$(bcode)" = 403:job_not_claimed
JQ=$(job_add sendgrid '"idempotency_key":"queued-one"')
s=$(lease "$TOK" sendgrid-main "$JQ")
check "a job that is queued, not claimed: 403 job_not_claimed" test "$s:$(bcode)" = 403:job_not_claimed
s=$(lease "$TOK" sendgrid-main jb_aaaaaaaaaaaaaaaaaaaaaaaaaa)
check "an unknown job: 403 job_not_claimed" test "$s:$(bcode)" = 403:job_not_claimed
s=$(lease "$TOK2" sendgrid-main "$J")
check "another broker's claim: 403 job_not_claimed" test "$s:$(bcode)" = 403:job_not_claimed
api DELETE "/credentials/$SG2" >/dev/null
JR=$(job_add sendgrid '"idempotency_key":"for-revoked"')
hb() { breq "$TOK" POST "/jobs/$J/heartbeat" "{\"claim\":\"$CL1\"}"; }
check "ob-one's heartbeat keeps its claim: 200" test "$(hb)" = 200
claim "$TOK2" 0
check "ob-two claims a sendgrid job" test "$CST" = 200
JR=$JOB
s=$(lease "$TOK2" "$SG2" "$JR")
check "a revoked credential: 403 credential_revoked" test "$s:$(bcode)" = 403:credential_revoked
api PUT /budgets/sendgrid '{"daily":0,"currency":"USD"}' >/dev/null
check "a daily budget of 0 pauses sendgrid" test "$(st)" = 200
s=$(lease "$TOK2" sendgrid-main "$JR")
check "a paused service: 403 budget_paused" test "$s:$(bcode)" = 403:budget_paused
out=$(api PUT /budgets/sendgrid '{"daily":100000,"currency":"USD"}')
check "raising the budget waits for an approval: 202" test "$(st)" = 202
api POST "/approvals/$(jq -r '.approval.id' <<<"$out")/approve" "{\"totp\":\"$(totp_code 0)\"}" >/dev/null
check "  approved with a fresh TOTP code: 200" test "$(st)" = 200
s=$(lease "$TOK2" sendgrid-main "$JR")
check "the budget raised: 201" test "$s" = 201

# ---- bad input: 400, no lease ----------------------------------------------------------
check "heartbeat: 200" test "$(hb)" = 200
n0=$(api GET /leases | jq '.leases | length')
long=$(printf 'p%.0s' $(seq 129))
for extra in '"ttl":0' '"ttl":301' '"ttl":"30"' '"ttl":1.5' '"surprise":1'; do
	s=$(lease "$TOK" sendgrid-main "$J" "$extra")
	check "lease with $extra: 400" test "$s" = 400
done
for body in "{\"credential\":\"sendgrid-main\",\"purpose\":\"\",\"job\":\"$J\"}" \
	"{\"credential\":\"sendgrid-main\",\"purpose\":\"$long\",\"job\":\"$J\"}" \
	"{\"credential\":\"sendgrid-main\",\"purpose\":\"tab\\there\",\"job\":\"$J\"}" \
	"{\"credential\":\"sendgrid-main\",\"job\":\"$J\"}" \
	"{\"credential\":\"sendgrid-main\",\"purpose\":\"p\"}" \
	"{\"credential\":\"sendgrid-main\",\"purpose\":\"p\",\"job\":\"not-a-job\"}" \
	"{\"purpose\":\"p\",\"job\":\"$J\"}" '[]' '{"credential":'; do
	s=$(breq "$TOK" POST /leases "$body")
	check "POST /leases ${body:0:60}: 400" test "$s" = 400
done
check "no lease was made by them" test "$(api GET /leases | jq '.leases | length')" = "$n0"
check "heartbeat: 200" test "$(hb)" = 200
s=$(lease "$TOK" sendgrid-main "$J" '"ttl":1')
check "ttl 1: 201" test "$s" = 201

# ---- listing and ending --------------------------------------------------------------
api GET /leases >"$T/leases.json"
check "GET /leases (admin): the active leases, metadata only" jq -e --arg l "$LID" --arg c "$SG" --arg j "$J" \
	'[.leases[] | select(.id == $l)] | length == 1 and .[0].credential == $c and .[0].job == $j and
	(.[0] | has("secret") | not)' "$T/leases.json"
check "no secret in the list" bash -c "! grep -q '$SECRET' '$T/leases.json'"
s=$(breq "$TOK2" DELETE "/leases/$LID")
check "another broker cannot end ob-one's lease: 404" test "$s" = 404
s=$(breq "$TOK" DELETE "/leases/$LID")
check "ob-one ends its own lease: 200" test "$s" = 200
s=$(breq "$TOK" DELETE "/leases/$LID")
check "ending it again: 410" test "$s" = 410
api DELETE "/leases/$LID2" >/dev/null
check "an admin ends a lease: 200" test "$(st)" = 200
api GET /leases >"$T/leases2.json"
check "the ended leases are no longer listed" bash -c "! grep -q -e '$LID' -e '$LID2' '$T/leases2.json'"

# ---- an expired claim ------------------------------------------------------------------
sleep 6.5
s=$(lease "$TOK" sendgrid-main "$J")
check "after the claim's 6 s without a heartbeat: 403 job_not_claimed" test "$s:$(bcode)" = 403:job_not_claimed

# ---- audit: one record per lease, never the secret -----------------------------------------
vcurl -H "Authorization: Bearer $SESSION" "$URL/credentials/audit/export" >"$T/export"
vcurl -H "Authorization: Bearer $SESSION" "$URL/credentials/audit/pubkey" | jq -r '.keys[0].pem' >"$T/pub.pem"
check "the trail verifies offline (bosctl audit verify)" "$BOSCTL" audit verify "$T/export" --pubkey "$T/pub.pem"
n=$(grep "\"resource\":\"/leases/$LID\"" "$T/export" | grep -c '"action":"lease_create"')
check "exactly one record of lease $LID ($n)" test "$n" = 1
check "it names the lease, the credential and the job" bash -c \
	"grep '\"resource\":\"/leases/$LID\"' '$T/export' | grep 'lease_create' | grep '$SG' | grep -q '$J'"
check "refusals are recorded as deny with their code" bash -c \
	"grep lease_create '$T/export' | grep '\"deny\"' | grep -q job_not_claimed && grep lease_create '$T/export' | grep -q budget_paused"
for c in "$SECRET" "$SECRET2"; do
	check "the canary ${c:0:12}... is in no audit record" bash -c "! grep -q '$c' '$T/export'"
	check "... not in the vault log" bash -c "! grep -q '$c' '$T/vault.log'"
	check "... in no error body or list" bash -c "! grep -v '\"lease\":' '$T/bodies' | grep -q '$c'"
done
finish
