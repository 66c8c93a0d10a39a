# shellcheck shell=bash
# make bench, outreach (docs/PERFORMANCE.md "Outreach"; issue #16): sourced by
# bench/run.sh once the vault is up and the admin signed in (it uses T, S, URL,
# ROOT, BOS_BIN and run.sh's api, say, die, track, free_port). Leaves
# $T/outreach.json: the figures, and the ratio rows to append to results.json.
#
#  1. One campaign of BENCH_OUTREACH_MSGS (500) messages at per_minute 6000
#     (the vault's largest: 100/s) through one bos-broker outreach to the SMTP
#     sink (tests/stubs/smtp_sink.mjs), then one to the SendGrid stub
#     (tests/stubs/providers_stub.py); the rate from the first to the last
#     message the sink/stub accepted (their own log's clock), next to a plain
#     client sending BENCH_OUTREACH_PLAIN (100) messages of the same size in a
#     row, one connection each as the broker does, to the same sink/stub
#     (bench/outreach_load.py: python smtplib; curl and python http.client).
#  2. BENCH_OUTREACH_BATCHES (100) SendGrid event batches of 100 events (unique
#     sg_event_id, each batch signed once with openssl, ECDSA P-256) posted to
#     the broker's hooks listener by BENCH_OUTREACH_CONNS (4) keep-alive curl
#     processes; then the same number of events, as the vault's own
#     POST /outreach/events bodies with the broker's token, over the unix socket
#     the same way: the limit the listener stands on.

outreach_bench() {
	local n=${BENCH_OUTREACH_MSGS:-500} nb=${BENCH_OUTREACH_BATCHES:-100}
	local hc=${BENCH_OUTREACH_CONNS:-4} per=100 O=$T/outreach
	local np=${BENCH_OUTREACH_PLAIN:-100}
	[ "$np" -le "$n" ] || np=$n
	local py=/usr/bin/python3 load=$ROOT/bench/outreach_load.py
	local hp sgpub smtp_pass sg_key btok cp1 cp2 i f ts sig out
	[ "$n" -ge 2 ] && [ "$n" -le 10000 ] || die "BENCH_OUTREACH_MSGS must be 2..10000"
	[ "$nb" -ge 1 ] && [ "$hc" -ge 1 ] && [ "$hc" -le 16 ] ||
		die "BENCH_OUTREACH_BATCHES must be >= 1, BENCH_OUTREACH_CONNS 1..16 (the listener's per-address limit)"
	mkdir -p "$O/ev"
	# tests/stubs/lib_stub.sh starts the stubs; its bg_track is run.sh's track.
	bg_track() { track "$1"; }
	# shellcheck source=../tests/stubs/lib_stub.sh
	. "$ROOT/tests/stubs/lib_stub.sh"
	stub_certs "$O/pki" || die "outreach: test certificates"
	stub_start "$O/pki" || die "outreach: the provider stubs did not start: $(cat "$O/pki/stub.err")"
	smtp_pass="bench smtp $(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
	smtp_sink_start "$O/pki" sink bench-sender "$smtp_pass" ||
		die "outreach: the SMTP sink did not start: $(cat "$O/pki/sink.err")"
	sg_key="SG.bench-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
	stub_key sendgrid "$sg_key" ok
	printf '%s\n' "$sg_key" >"$O/sg.key"

	# The broker: sending, and its hooks listener with a P-256 webhook key.
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$O/hooks.key" \
		-out "$O/hooks.pem" -days 2 -subj /CN=127.0.0.1 -addext "subjectAltName=IP:127.0.0.1" \
		2>/dev/null || die "outreach: hooks certificate"
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$O/sg.pem" 2>/dev/null ||
		die "outreach: webhook key"
	sgpub=$(openssl pkey -in "$O/sg.pem" -pubout -outform DER | base64 -w0)
	btok=$(api POST /brokers '{"role":"outreach","name":"bench-outreach"}' | jq -r '.token // empty')
	[[ $btok == bos_b_* ]] || die "outreach: POST /brokers gave no token"
	printf '%s\n' "$btok" >"$O/broker.token"
	hp=$(free_port) || die "no free port"
	# shellcheck disable=SC2154 # STUB_PORT_sendgrid: set by stub_start (eval)
	cat >"$O/broker.conf" <<CONF
vault_socket = $S/vault.sock
token_file = $O/broker.token
test_ca_file = $STUB_CA
base_url.smtp = smtp://127.0.0.1:$SINK_PORT
smtp_hosts = smtp.bench.test
base_url.sendgrid = https://127.0.0.1:$STUB_PORT_sendgrid
hooks_listen = 127.0.0.1:$hp
hooks_cert = $O/hooks.pem
hooks_key = $O/hooks.key
hooks_public_url = https://hooks.bench.test
sendgrid_webhook_key = $sgpub
CONF

	# The list, the credentials, the templates.
	jq -n --argjson n "$n" '{name: "bench", format: "json", contacts: [range(1; $n + 1) |
		{email: "advisor\(.)@advisors.example", name: "Advisor \(.)", consent: "email"}]}' >"$O/list.json"
	api POST /outreach/lists "$(cat "$O/list.json")" | jq -e --argjson n "$n" '.imported == $n' >/dev/null ||
		die "outreach: the list of $n contacts was not imported"
	api POST /credentials "$(jq -n --arg p "$smtp_pass" '{name: "bench-smtp", type: "password",
		service: "smtp", secret: $p, metadata: {host: "smtp.bench.test", port: 587, username: "bench-sender"}}')" >/dev/null
	api POST /credentials "$(jq -n --arg k "$sg_key" '{name: "bench-sendgrid", type: "api_key",
		service: "sendgrid", secret: $k}')" >/dev/null
	"$py" "$load" templates >"$O/tpl.json" || die "outreach: templates"

	# campaign PROVIDER CREDENTIAL: a running campaign of the list at 6000 a minute; its id.
	campaign() {
		api POST /outreach/email "$(jq --arg p "$1" --arg c "$2" '{list: "bench",
			from: "Acme Sales <sales@acme.example>", subject: "Hello {{name}}, a word about our product",
			text, html, provider: $p, credential: $c, per_minute: 6000}' "$O/tpl.json")" |
			jq -r '.campaign.id // empty'
	}
	# call_ms CONNECTOR: the median time of bos-broker's provider calls (its log:
	# "job ID: CONNECTOR: accepted status S in N ms").
	call_ms() {
		sed -n "s/.*: $1: accepted status [0-9]* in \([0-9]*\) ms.*/\1/p" "$O/broker.log" | sort -n |
			awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)]; else print "null" }'
	}
	# accepted_t FILE FILTER: the log times of accepted messages, one a line.
	# span_rate FROM COUNT: messages per second from the first to the last of
	# COUNT accepted ones, starting at the FROM-th (0-based), of $O/t.txt.
	span_rate() {
		awk -v a="$1" -v c="$2" 'NR == a + 1 { f = $1 } NR == a + c { l = $1 }
			END { if (l > f) printf "%.2f\n", (c - 1) / (l - f); else print "null" }' "$O/t.txt"
	}
	sink_t() { jq -r 'select(.event == "data" and .code == 250) | .t' "$O/pki/sink.log" >"$O/t.txt" 2>/dev/null || : >"$O/t.txt"; }
	stub_t() { jq -r 'select(.provider == "sendgrid" and .status == 202) | .t' "$STUB_LOG" >"$O/t.txt"; }
	# wait_count FN N SECONDS: until FN leaves N lines in $O/t.txt.
	wait_count() {
		local k
		for k in $(seq $(($3 * 5))); do
			"$1"
			[ "$(wc -l <"$O/t.txt")" -ge "$2" ] && return 0
			kill -0 "$BOUT_PID" 2>/dev/null || die "outreach: bos-broker died: $(tail -5 "$O/broker.log")"
			sleep 0.2
		done
		return 1
	}
	local limit_s=$((n / 5 + 60))

	say "outreach: $n messages at per_minute 6000 through bos-broker to the SMTP sink"
	cp1=$(campaign smtp bench-smtp)
	[ -n "$cp1" ] || die "outreach: the smtp campaign was not created"
	"$BOS_BIN/bos-broker" outreach --config "$O/broker.conf" >>"$O/broker.log" 2>&1 &
	BOUT_PID=$!
	track "$BOUT_PID"
	wait_count sink_t "$n" "$limit_s" ||
		die "outreach: $(wc -l <"$O/t.txt") of $n messages reached the SMTP sink in $limit_s s"
	out=$(span_rate 0 "$n")
	echo "$out" >"$O/smtp_broker.rate"
	call_ms smtp >"$O/smtp_call.ms"
	for i in $(seq 50); do
		[ "$(api GET "/outreach/campaigns/$cp1" | jq -r .campaign.sent)" = "$n" ] && break
		sleep 0.2
	done
	[ "$(api GET "/outreach/campaigns/$cp1" | jq -r .campaign.state)" = "done" ] ||
		die "outreach: the smtp campaign is not done: $(api GET "/outreach/campaigns/$cp1" | jq -c .campaign)"
	say "outreach: smtp via bos-broker $out/s (median SMTP session $(cat "$O/smtp_call.ms") ms); now a plain client (python smtplib), $np in a row"
	f=$(find "$O/pki/sink.mail" -name '*.eml' | sort | head -1)
	local bytes
	bytes=$(stat -c %s "$f")
	printf '%s\n' "$smtp_pass" >"$O/smtp.pass"
	"$py" "$load" smtp "$STUB_CA" 127.0.0.1 "$SINK_PORT" bench-sender "$O/smtp.pass" "$f" "$np" \
		>"$O/smtp_plain.json" || die "outreach: the plain SMTP client failed"
	sink_t
	[ "$(wc -l <"$O/t.txt")" -ge $((n + np)) ] || die "outreach: the sink did not accept the plain client's $np"
	span_rate "$n" "$np" >"$O/smtp_plain.rate"
	say "outreach: smtp plain $(cat "$O/smtp_plain.rate")/s ($bytes bytes a message)"

	say "outreach: $n messages at per_minute 6000 through bos-broker to the SendGrid stub"
	cp2=$(campaign sendgrid bench-sendgrid)
	[ -n "$cp2" ] || die "outreach: the sendgrid campaign was not created"
	wait_count stub_t "$n" "$limit_s" ||
		die "outreach: $(wc -l <"$O/t.txt") of $n messages reached the SendGrid stub in $limit_s s"
	span_rate 0 "$n" >"$O/sg_broker.rate"
	call_ms sendgrid >"$O/sg_call.ms"
	for i in $(seq 50); do
		[ "$(api GET "/outreach/campaigns/$cp2" | jq -r .campaign.state)" = "done" ] && break
		sleep 0.2
	done
	[ "$(api GET "/outreach/campaigns/$cp2" | jq -r .campaign.sent)" = "$n" ] ||
		die "outreach: the sendgrid campaign did not count $n sent"
	jq -c 'select(.provider == "sendgrid" and .status == 202) | {sent}' "$STUB_LOG" | head -n "$n" >"$O/sent.jsonl"
	jq -e 'select(.provider == "sendgrid") | select(.problems != [])' "$STUB_LOG" >/dev/null &&
		die "outreach: the SendGrid stub found problems in a request"
	say "outreach: sendgrid via bos-broker $(cat "$O/sg_broker.rate")/s (median call $(cat "$O/sg_call.ms") ms); now plain clients, $np in a row each: curl, python http.client"
	# curl: the broker's library and request (keep-alive asked, as libcurl does),
	# one process per message, so a new connection and a full TLS handshake each.
	"$py" "$load" sgbody "$O/sent.jsonl" "$O/sgbody.json" || die "outreach: a SendGrid body"
	cat >"$O/sgcurl.cfg" <<CFG
url = "https://127.0.0.1:$STUB_PORT_sendgrid/v3/mail/send"
cacert = "$STUB_CA"
header = "Authorization: Bearer $sg_key"
header = "Content-Type: application/json"
data-binary = "@$O/sgbody.json"
output = "/dev/null"
write-out = "%{http_code}\\n"
CFG
	for i in $(seq "$np"); do
		curl -s --max-time 30 -K "$O/sgcurl.cfg" || echo 000
	done >"$O/sgcurl.codes"
	[ "$(grep -c '^202$' "$O/sgcurl.codes")" = "$np" ] || die "outreach: the stub refused the plain curl client"
	stub_t
	span_rate "$n" "$np" >"$O/sg_curl.rate"
	"$py" "$load" sendgrid "$STUB_CA" "https://127.0.0.1:$STUB_PORT_sendgrid" "$O/sg.key" "$O/sent.jsonl" "$np" \
		>"$O/sg_plain.json" || die "outreach: the plain SendGrid client failed"
	stub_t
	[ "$(wc -l <"$O/t.txt")" -ge $((n + 2 * np)) ] || die "outreach: the stub did not accept the plain clients' $np"
	span_rate $((n + np)) "$np" >"$O/sg_plain.rate"
	say "outreach: sendgrid plain: curl $(cat "$O/sg_curl.rate")/s, python $(cat "$O/sg_plain.rate")/s"

	# ---- verified webhook events ----
	local tag
	tag=b$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
	"$py" "$load" events "$O/sent.jsonl" "$O/ev" "$nb" "$per" "$tag" || die "outreach: event batches"
	ts=$(date +%s)
	for i in $(seq 0 $((hc - 1))); do : >"$O/hk$i.cfg"; : >"$O/vt$i.cfg"; done
	i=0
	for f in "$O"/ev/sg*.json; do
		sig=$({ printf '%s' "$ts"; cat "$f"; } | openssl dgst -sha256 -sign "$O/sg.pem" | base64 -w0) ||
			die "outreach: signing a batch"
		cat >>"$O/hk$((i % hc)).cfg" <<CFG
url = "https://127.0.0.1:$hp/hooks/sendgrid/events"
cacert = "$O/hooks.pem"
header = "Content-Type: application/json"
header = "X-Twilio-Email-Event-Webhook-Signature: $sig"
header = "X-Twilio-Email-Event-Webhook-Timestamp: $ts"
data-binary = "@$f"
output = "/dev/null"
write-out = "%{http_code}\\n"
next
CFG
		i=$((i + 1))
	done
	i=0
	for f in "$O"/ev/vt*.json; do
		cat >>"$O/vt$((i % hc)).cfg" <<CFG
url = "http://vault/outreach/events"
unix-socket = "$S/vault.sock"
header = "Authorization: Bearer $btok"
header = "Content-Type: application/json"
data-binary = "@$f"
output = "$O/vt$i.out"
write-out = "%{http_code}\\n"
next
CFG
		i=$((i + 1))
	done
	# curl -K: "next" separates requests; none after the last.
	for i in $(seq 0 $((hc - 1))); do
		sed -i '$d' "$O/hk$i.cfg" "$O/vt$i.cfg"
	done
	# post PREFIX: hc curl processes, each its config's requests on one keep-alive
	# connection; the seconds taken; every answer must be 200.
	post() {
		local t0 t1 k pids=""
		t0=$(date +%s.%N)
		for k in $(seq 0 $((hc - 1))); do
			curl -s --max-time 120 -K "$O/$1$k.cfg" >"$O/$1$k.codes" 2>"$O/$1$k.err" &
			pids="$pids $!"
		done
		for k in $pids; do wait "$k" || die "outreach: curl ($1) failed: $(cat "$O/$1"*.err)"; done
		t1=$(date +%s.%N)
		[ "$(cat "$O/$1"*.codes | grep -c '^200$')" = "$nb" ] ||
			die "outreach: $1: not every batch was answered 200: $(cat "$O/$1"*.codes | sort | uniq -c | tr '\n' ' ')"
		awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
	}
	# Control: the listener verifies: a batch signed with another key is 401.
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$O/other.pem" 2>/dev/null ||
		die "outreach: a second key"
	f=$O/ev/sg0000.json
	sig=$({ printf '%s' "$ts"; cat "$f"; } | openssl dgst -sha256 -sign "$O/other.pem" | base64 -w0)
	out=$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 --cacert "$O/hooks.pem" \
		-H 'Content-Type: application/json' -H "X-Twilio-Email-Event-Webhook-Signature: $sig" \
		-H "X-Twilio-Email-Event-Webhook-Timestamp: $ts" --data-binary "@$f" \
		"https://127.0.0.1:$hp/hooks/sendgrid/events") || true
	[ "$out" = 401 ] || die "outreach: the hooks listener answered $out to a batch signed with another key"
	say "outreach: $nb signed SendGrid batches of $per events to the hooks listener, $hc connections"
	post hk >"$O/hk.secs"
	# Recorded, not only answered: each batch's events, sent again to the vault
	# under their SendGrid ids, are all duplicates.
	for f in "$O/ev/sg0000.json" "$(ls "$O"/ev/sg*.json | tail -1)"; do
		out=$(jq '{provider: "sendgrid", events: [.[] | {id: .sg_event_id, at: .timestamp,
			message: .bos_message, kind: ({delivered: "delivered", open: "opened", click: "clicked"}[.event])}
			+ (if .url then {url} else {} end)]}' "$f" |
			curl -sS --unix-socket "$S/vault.sock" -H "Authorization: Bearer $btok" \
				-H 'Content-Type: application/json' --data-binary @- http://vault/outreach/events)
		jq -e --argjson p "$per" '.duplicates == $p' <<<"$out" >/dev/null ||
			die "outreach: the listener answered 200 but the vault did not record $(basename "$f"): $out"
	done
	say "outreach: the same number of events straight to the vault's POST /outreach/events, unix socket, $hc connections"
	post vt >"$O/vt.secs"
	out=$(cat "$O"/vt*.out | jq -s 'map(.recorded + .unmatched) | add')
	[ "$out" = $((nb * per)) ] || die "outreach: the vault recorded $out of $((nb * per)) events"
	kill -TERM "$BOUT_PID" 2>/dev/null
	wait "$BOUT_PID" 2>/dev/null || true
	grep -qF -- "$sg_key" "$O/broker.log" && die "outreach: the SendGrid key is in the broker's log"

	jq -n --argjson n "$n" --argjson nb "$nb" --argjson per "$per" --argjson hc "$hc" \
		--argjson sb "$(cat "$O/smtp_broker.rate")" --argjson sp "$(cat "$O/smtp_plain.rate")" \
		--argjson gb "$(cat "$O/sg_broker.rate")" --argjson gp "$(cat "$O/sg_plain.rate")" \
		--argjson gc "$(cat "$O/sg_curl.rate")" --argjson np "$np" \
		--argjson hs "$(cat "$O/hk.secs")" --argjson vs "$(cat "$O/vt.secs")" \
		--argjson bytes "$bytes" --argjson smc "$(cat "$O/smtp_call.ms")" \
		--argjson sgc "$(cat "$O/sg_call.ms")" '
	def r(n; v; tgt; op): {name: n, value: v, target: tgt, op: op, unit: "x",
		met: (if tgt == null then null elif op == ">=" then v >= tgt else v <= tgt end)};
	(6000 / 60) as $gate | (600 / 60) as $sgpub |
	{ messages: $n, plain_messages: $np, per_minute: 6000, gate_per_s: $gate, smtp_message_bytes: $bytes,
	  smtp: {broker_per_s: $sb, plain_per_s: $sp, broker_call_median_ms: $smc},
	  sendgrid: {broker_per_s: $gb, plain_per_s: $gp, curl_per_s: $gc, provider_limit_per_s: $sgpub,
	             broker_call_median_ms: $sgc},
	  events: {batches: $nb, per_batch: $per, conns: $hc,
	           hooks_per_s: ($nb * $per / $hs), vault_per_s: ($nb * $per / $vs)},
	  ratios: [
	    r("outreach smtp sends / min(plain client, 100/s gate)"; $sb / ([$sp, $gate] | min); null; ">="),
	    r("outreach sendgrid sends / SendGrid limit (600/min)"; $gb / $sgpub; 1; ">="),
	    r("outreach sendgrid sends / min(plain curl, 100/s gate)"; $gb / ([$gc, $gate] | min); null; ">="),
	    r("outreach webhook events / vault POST /outreach/events"; ($nb * $per / $hs) / ($nb * $per / $vs); null; ">=")
	  ] }' >"$T/outreach.json" || die "outreach: cannot assemble the figures"
}
