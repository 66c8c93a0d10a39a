# Helpers for audit-trail tests. Source after lib.sh and lib_api.sh (they
# need S, URL, T and, to read the trail, an admin SESSION).
#
#   areq METHOD PATH TOKEN [BODY]
#       one request; TOKEN is a bearer token, "" for none, "@sock" for the
#       unix socket without a token, or "@sock:TOKEN" for the unix socket with
#       one (a broker's). Sets ARS (HTTP status, 000 when curl
#       failed) and ARID (the X-Request-Id response header, "" when none);
#       the body is in $T/areq.body, the headers in $T/areq.hdr.
#   audit_fetch FILE
#       every record of GET /credentials/audit (all pages, oldest first) as
#       one JSON array in FILE; prints the request ids of its own reads (each
#       read writes an "audit_read" record) one a line on stdout. 0 on success.
#   audit_rid FILE RID
#       the records of FILE whose request_id is RID, as a JSON array.
#   audit_fields_ok
#       jq filter (for jq -e): true when a record has every field, well-formed.

areq() {
	local m=$1 p=$2 tok=$3 body=${4-}
	local a=(-sS -X "$m" -o "$T/areq.body" -D "$T/areq.hdr" -w '%{http_code}' --max-time 30)
	[ -n "$body" ] && a+=(-H 'Content-Type: application/json' --data-binary "$body")
	if [ "${tok%%:*}" = @sock ]; then
		a+=(--unix-socket "$S/vault.sock")
		[ "$tok" != @sock ] && a+=(-H "Authorization: Bearer ${tok#@sock:}")
		p="http://vault$p"
	else
		[ -n "$tok" ] && a+=(-H "Authorization: Bearer $tok")
		a+=(--cacert "$S/tls/cert.pem")
		p="$URL$p"
	fi
	: >"$T/areq.hdr"
	ARS=$(curl "${a[@]}" "$p" 2>/dev/null) || ARS=000
	ARID=$(tr -d '\r' <"$T/areq.hdr" | sed -n 's/^[Xx]-[Rr]equest-[Ii]d: *//p' | tail -1)
}

audit_fetch() {
	local out=$1 cur="" q n=0
	: >"$T/audit.pages"
	while :; do
		q="limit=1000&order=asc"
		[ -n "$cur" ] && q="$q&cursor=$cur"
		areq GET "/credentials/audit?$q" "$SESSION"
		[ "$ARS" = 200 ] || return 1
		echo "$ARID"
		jq -c '.records[]' "$T/areq.body" >>"$T/audit.pages" || return 1
		cur=$(jq -r '.next_cursor // empty' "$T/areq.body")
		[ -n "$cur" ] || break
		n=$((n + 1)); [ "$n" -lt 100 ] || return 1
	done
	jq -s . "$T/audit.pages" >"$out"
}

audit_rid() { jq --arg r "$2" '[.[] | select(.request_id == $r)]' "$1"; }

# shellcheck disable=SC2016,SC2034
audit_fields_ok='(.seq | type == "number" and . >= 1 and . == floor)
	and (.time | type == "string" and test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$"))
	and (.hash | type == "string" and test("^[0-9a-f]{64}$"))
	and ([.principal, .action, .resource, .decision, .reason, .client, .request_id]
	     | all(type == "string" and length > 0))
	and (.decision | IN("allow", "deny", "invalid", "error"))'
