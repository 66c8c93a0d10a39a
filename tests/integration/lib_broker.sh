# Helpers for tests of brokers, leases and jobs (docs/BROKERS.md). Source
# after lib.sh and lib_api.sh (they need S, URL, T and an admin SESSION).
#
#   breq TOKEN METHOD PATH [BODY]
#       one request as a broker on the vault's unix socket (TOKEN "" for none);
#       prints the status (000 when curl failed); the body is in $T/b.json.
#   btcp TOKEN METHOD PATH [BODY]
#       the same over HTTPS (TCP), where broker tokens are refused.
#   broker_add ROLE [NAME]
#       POST /brokers as the admin; prints the token (empty on failure).
#   job_add SERVICE [JSON FIELDS]
#       POST /jobs kind verify for SERVICE as the admin; prints the job id.
#   claim TOKEN [WAIT]
#       POST /jobs/claim {kinds:[verify], wait}; sets CST, JOB and CLAIM.
#   jstate ID
#       the state of job ID (GET /jobs/ID as the admin).

breq() {
	local tok=$1 m=$2 p=$3 body=${4-}
	local a=(-s -X "$m" -o "$T/b.json" -w '%{http_code}' --max-time 40 --unix-socket "$S/vault.sock")
	[ -n "$tok" ] && a+=(-H "Authorization: Bearer $tok")
	[ -n "$body" ] && a+=(-H 'Content-Type: application/json' --data-binary "$body")
	: >"$T/b.json"
	curl "${a[@]}" "http://vault$p" || echo 000
}
btcp() {
	local tok=$1 m=$2 p=$3 body=${4-}
	local a=(-s -X "$m" -o "$T/b.json" -w '%{http_code}' --max-time 40 --cacert "$S/tls/cert.pem")
	[ -n "$tok" ] && a+=(-H "Authorization: Bearer $tok")
	[ -n "$body" ] && a+=(-H 'Content-Type: application/json' --data-binary "$body")
	: >"$T/b.json"
	curl "${a[@]}" "$URL$p" || echo 000
}
bcode() { jq -r '.error.code // empty' "$T/b.json" 2>/dev/null; }
broker_add() {
	local body="{\"role\":\"$1\"${2:+,\"name\":\"$2\"}}"
	api POST /brokers "$body" | jq -r '.token // empty'
}
job_add() {
	api POST /jobs "{\"kind\":\"verify\",\"service\":\"$1\"${2:+,$2}}" | jq -r '.job.id // empty'
}
claim() {
	CST=$(breq "$1" POST /jobs/claim "{\"kinds\":[\"verify\"],\"wait\":${2:-0}}")
	JOB=$(jq -r '.job.id // empty' "$T/b.json" 2>/dev/null)
	CLAIM=$(jq -r '.job.claim // empty' "$T/b.json" 2>/dev/null)
}
jstate() { api GET "/jobs/$1" | jq -r '.job.state // empty'; }
