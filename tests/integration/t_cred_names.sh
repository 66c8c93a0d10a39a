#!/bin/bash
# Credential names that a fixed path segment would shadow (issue #12 item 11,
# docs/API.md "Credentials"): every "/credentials/<segment>" of the route
# table (read here from vault/api/routes.c, so a route added later is covered)
# is refused as a name with 400 and a clear message, and nothing is written;
# names next to them ("Audit", "audits", "versions", ...) are accepted and
# reachable by name on every route of a credential. A credential stored
# under such a name before (renamed in the database here) is named in a
# warning at start-up and is still reached by its id.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"

ROUTES=$(cd "$(dirname "$0")/../.." && pwd)/vault/api/routes.c
DB=$BOS_TESTBIN/bos_dbtool
PW="correct horse battery $(canary p)"
ncreds() { "$DB" "$S" "SELECT count(*) FROM credentials"; }
create() { api POST /credentials "{\"name\":\"$1\",\"type\":\"secret\",\"service\":\"svc\",\"secret\":\"s-$1\"}"; }

RESERVED=$(grep -o '"/credentials/[^"/{]*' "$ROUTES" | cut -d/ -f3 | sort -u)
check "the route table has fixed segments beside {id} ($(echo $RESERVED))" test -n "$RESERVED"
check "the vault starts" api_up "$T/s" || finish
check "admin created and signed in" admin_setup alice "$PW" || finish

n0=$(ncreds)
for name in $RESERVED; do
	out=$(create "$name")
	check "name '$name': 400 invalid, 'reserved' and what to do ($(jq -c .error <<<"$out"))" \
		bash -c "test '$(st)' = 400 && jq -e '.error.code == \"invalid\" and
			(.error.message | contains(\"reserved\") and contains(\"choose another name\"))' <<<'$out'"
done
check "nothing was written by the refused names" test "$(ncreds)" = "$n0"

for name in Audit audits versions grants "grant 2" health export; do
	id=$(create "$name" | jq -r '.id // empty')
	enc=${name// /%20}
	check "name '$name' is accepted (201)" test "$(st)" = 201
	check "  GET /credentials/$enc reads that credential" \
		bash -c "[ -n '$id' ] && test \"\$(jq -r .id <<<'$(api GET "/credentials/$enc")')\" = '$id'"
	api PUT "/credentials/$enc" '{"secret":"v2"}' >/dev/null
	check "  PUT /credentials/$enc stores version 2" test "$(st)" = 200
	check "  GET /credentials/$enc/versions lists 1 and 2" \
		bash -c "jq -e '[.versions[].version] == [1, 2]' <<<'$(api GET "/credentials/$enc/versions")'"
done

# ---- a name stored before it was refused ----
LEG=$(create legacy | jq -r .id)
check "a credential to rename behind the vault's back" bash -c "[[ '$LEG' == cr_* ]]"
kill -TERM "$VPID"; wait "$VPID"
first=$(echo $RESERVED | cut -d' ' -f1)
"$DB" "$S" "UPDATE credentials SET name = '$first' WHERE id = '$LEG'" >/dev/null
check "the vault starts again" start_vault "$S" "$T/vault2.log" || finish
check "its start-up names the shadowed credential and says to use its id" \
	grep -q "warning.*credential $LEG is named '$first', which the route /credentials/$first shadows: reach it by its id" \
	"$T/vault2.log"
check "  only that one is named" test "$(grep -c 'shadows: reach it by its id' "$T/vault2.log")" = 1
SESSION=$(vcurl -X POST -H 'Content-Type: application/json' --data-binary \
	"{\"name\":\"alice\",\"password\":\"$PW\",\"totp\":\"$(totp_code 0)\"}" "$URL/auth/login" | jq -r .session)
export SESSION
check "  it is reached by its id" \
	bash -c "jq -e '.id == \"$LEG\"' <<<'$(api GET "/credentials/$LEG/versions")'"
check "  GET /credentials/$first/versions still reaches it by name" \
	bash -c "jq -e '.id == \"$LEG\"' <<<'$(api GET "/credentials/$first/versions")'"
check "  and its name is not its own: GET /credentials/$first answers that route" \
	bash -c "! jq -e '.id == \"$LEG\"' <<<'$(api GET "/credentials/$first")' >/dev/null"
finish
