#!/usr/bin/python3
"""Strict local HTTPS stubs of the five providers bos-broker verifies
credentials with (docs/BROKERS.md "bos-broker", CONNECTORS.md F.3).

One process, one HTTPS port per provider (TLS with a test CA's certificate).
Each stub accepts exactly its provider's credential check and nothing else:

  sendgrid  GET /v3/scopes                         Authorization: Bearer KEY
  twilio    GET /2010-04-01/Accounts/{SID}.json    Basic SID:TOKEN (the SID in the path)
  stripe    GET /v1/balance                        Authorization: Bearer KEY
  mailgun   GET /v3/domains                        Basic api:KEY
  openai    GET /v1/models                         Authorization: Bearer KEY

A wrong method (405), path (404), a body on GET (400), no or another form of
Authorization (401), a credential not in the keys file (401) are refused with
the provider's error body, and logged with the reason ("problems").

The keys file (re-read when it changes) says what each known credential gets:
  PROVIDER CREDENTIAL BEHAVIOUR [ARG]
CREDENTIAL is the key (twilio: SID:TOKEN). BEHAVIOUR: ok (200 with the
provider's body), 401, 403, 429 (Retry-After: ARG, default 7), 500, 503, 302
(a redirect to /elsewhere on the same stub, which is refused if requested),
slow (ARG seconds, default 5, then 200), big (200 with 300 KiB).

Every request is one JSON line in the log: provider, method, path, auth form,
the first 16 hex digits of SHA-256 of the credential (never the credential),
behaviour, status, problems.

Sending (issue #16, CONNECTORS.md A1, A6), as strict:
  sendgrid  POST /v3/mail/send        Bearer KEY, application/json: personalizations
            [{to:[{email}], custom_args:{bos_message, bos_token}, headers:
            {List-Unsubscribe, List-Unsubscribe-Post}}], from:{email}, subject,
            content [text/plain, then text/html]; unknown keys refused.
            202 + X-Message-Id.
  twilio    POST /2010-04-01/Accounts/{SID}/Messages.json   Basic SID:TOKEN,
            application/x-www-form-urlencoded: To (E.164), From, Body,
            StatusCallback (https) optional, nothing else. 201 + the Message
            resource (sid SM..., price ARG when the behaviour ok has one).
A missing or bad field is 400 with the provider's error body. Behaviours as
above (slow: ARG seconds, then accepted), plus 400 (the provider refuses this
recipient) and 429reset (429 with
X-RateLimit-Reset: now + ARG and no Retry-After). Each accepted message is
one log line with "sent": its recipient, sender, subject, custom_args,
headers and part types (never a credential).

usage: providers_stub.py --cert PEM --key PEM --keys FILE --log FILE --ports FILE
The ports file gets "PROVIDER PORT" lines once every stub listens.
"""
import argparse
import base64
import re
import urllib.parse
import hashlib
import http.server
import json
import os
import ssl
import sys
import threading
import time

PROVIDERS = ("sendgrid", "twilio", "stripe", "mailgun", "openai")

OK_BODY = {
    "sendgrid": {"scopes": ["mail.send", "alerts.read", "scopes.read"]},
    "twilio": None,  # built from the SID
    "stripe": {"object": "balance", "available": [{"amount": 0, "currency": "usd",
               "source_types": {"card": 0}}], "livemode": False,
               "pending": [{"amount": 0, "currency": "usd", "source_types": {"card": 0}}]},
    "mailgun": {"total_count": 1, "items": [{"name": "mg.example.test", "state": "active",
                "type": "custom", "created_at": "Mon, 07 Dec 2026 10:00:00 GMT"}]},
    "openai": {"object": "list", "data": [{"id": "gpt-4o-mini", "object": "model",
               "created": 1721172741, "owned_by": "system"}]},
}


def error_body(provider, status):
    """The provider's own error shape for status (CONNECTORS.md A1, A3, A6, A8, F.3)."""
    if provider == "sendgrid":
        msg = {401: "authorization required", 403: "access forbidden",
               429: "too many requests"}.get(status, "internal error")
        return "application/json", {"errors": [{"field": None, "message": msg}]}
    if provider == "twilio":
        code, msg = {401: (20003, "Authenticate"), 403: (20003, "Authenticate"),
                     429: (20429, "Too Many Requests")}.get(status, (20500, "Internal Server Error"))
        return "application/json", {"code": code, "message": msg, "more_info":
                                    "https://www.twilio.com/docs/errors/%d" % code, "status": status}
    if provider == "stripe":
        typ = "api_error" if status >= 500 else "invalid_request_error"
        msg = {401: "Invalid API Key provided: sk_****", 403: "The provided key does not have "
               "the required permissions", 429: "Too many requests hit the API too quickly."
               }.get(status, "An unknown error occurred")
        return "application/json", {"error": {"type": typ, "message": msg}}
    if provider == "mailgun":
        return "text/plain", {401: "Forbidden", 403: "Forbidden", 429: "Too Many Requests"
                              }.get(status, "Internal Server Error")
    code = {401: "invalid_api_key", 403: "unsupported_country_region_territory",
            429: "rate_limit_exceeded"}.get(status, "server_error")
    msg = {401: "Incorrect API key provided: sk-****.", 403: "Country, region, or territory "
           "not supported", 429: "Rate limit reached"}.get(status, "The server had an error")
    return "application/json", {"error": {"message": msg, "type": "invalid_request_error",
                                           "param": None, "code": code}}


class Keys:
    """The keys file, re-read when its modification time changes."""

    def __init__(self, path):
        self.path, self.mtime, self.table, self.lock = path, None, {}, threading.Lock()

    def get(self, provider, cred):
        with self.lock:
            try:
                m = os.stat(self.path).st_mtime_ns
            except FileNotFoundError:
                m = None
            if m != self.mtime:
                table = {}
                if m is not None:
                    with open(self.path) as f:
                        for line in f:
                            w = line.split()
                            if len(w) >= 3 and not w[0].startswith("#"):
                                table[(w[0], w[1])] = (w[2], w[3] if len(w) > 3 else None)
                self.table, self.mtime = table, m
            return self.table.get((provider, cred))


class Log:
    def __init__(self, path):
        self.f, self.lock = open(path, "a", buffering=1), threading.Lock()

    def write(self, rec):
        with self.lock:
            self.f.write(json.dumps(rec, sort_keys=True) + "\n")


def key_id(cred):
    return hashlib.sha256(cred.encode()).hexdigest()[:16] if cred is not None else None


SG_TOP = {"personalizations", "from", "subject", "content", "reply_to", "headers",
          "custom_args", "categories", "tracking_settings", "mail_settings", "template_id"}
SG_PERS = {"to", "cc", "bcc", "subject", "headers", "substitutions", "custom_args", "send_at",
           "dynamic_template_data"}
TW_FIELDS = {"To", "From", "Body", "StatusCallback", "MessagingServiceSid", "MaxPrice",
             "ValidityPeriod"}
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


def check_sendgrid(ctype, raw):
    """(problems, summary) of a mail/send body, per CONNECTORS.md A1."""
    if ctype.split(";")[0].strip() != "application/json":
        return ["content_type"], None
    try:
        b = json.loads(raw)
    except ValueError:
        return ["json"], None
    if not isinstance(b, dict):
        return ["json"], None
    p = ["unknown_key:" + k for k in b if k not in SG_TOP]
    pers = b.get("personalizations")
    if not isinstance(pers, list) or not 1 <= len(pers) <= 1000:
        return p + ["personalizations"], None
    for x in pers:
        if not isinstance(x, dict):
            return p + ["personalizations"], None
        p += ["unknown_key:personalizations." + k for k in x if k not in SG_PERS]
        to = x.get("to")
        if not isinstance(to, list) or not to or not all(
                isinstance(t, dict) and isinstance(t.get("email"), str) and EMAIL.match(t["email"])
                for t in to):
            p.append("to")
        ca = x.get("custom_args")
        if not isinstance(ca, dict) or not all(isinstance(ca.get(k), str) and ca.get(k)
                                               for k in ("bos_message", "bos_token")):
            p.append("custom_args")
        h = x.get("headers")
        if not isinstance(h, dict) or not all(isinstance(h.get(k), str) for k in
                                              ("List-Unsubscribe", "List-Unsubscribe-Post")):
            p.append("headers")
        elif any(k.lower() in ("reply-to", "from", "to", "subject", "bcc", "cc") or
                 re.search(r"[\r\n:\s]", k) or re.search(r"[\r\n]", str(v))
                 for k, v in h.items()):
            p.append("reserved_header")
    fr = b.get("from")
    if not isinstance(fr, dict) or not isinstance(fr.get("email"), str) or \
            not EMAIL.match(fr["email"]):
        p.append("from")
    if not isinstance(b.get("subject"), str) or not b["subject"] or "\n" in b["subject"]:
        p.append("subject")
    c = b.get("content")
    types = [x.get("type") for x in c if isinstance(x, dict)] if isinstance(c, list) else []
    if not types or types[0] != "text/plain" or any(
            not isinstance(x.get("value"), str) or not x["value"] for x in c) or \
            any(t not in ("text/plain", "text/html") for t in types):
        p.append("content")
    if p:
        return p, None
    x = pers[0]
    return [], {"to": x["to"][0]["email"], "from": fr["email"], "subject": b["subject"],
                "custom_args": x["custom_args"], "headers": x["headers"],
                "reply_to": (b.get("reply_to") or {}).get("email"), "parts": types}


def check_twilio(ctype, raw):
    """(problems, summary) of a Messages.json form, per CONNECTORS.md A6."""
    if ctype.split(";")[0].strip() != "application/x-www-form-urlencoded":
        return ["content_type"], None
    try:
        f = urllib.parse.parse_qs(raw.decode(), keep_blank_values=True, strict_parsing=True)
    except (ValueError, UnicodeDecodeError):
        return ["form"], None
    p = ["unknown_field:" + k for k in f if k not in TW_FIELDS]
    p += ["repeated:" + k for k, v in f.items() if len(v) != 1]
    g = {k: v[0] for k, v in f.items()}
    if not E164.match(g.get("To", "")):
        p.append("To")
    if not (E164.match(g.get("From", "")) or re.match(r"^[A-Za-z0-9]{1,11}$", g.get("From", ""))):
        p.append("From")
    if not g.get("Body") or len(g["Body"]) > 1600:
        p.append("Body")
    if "StatusCallback" in g and not g["StatusCallback"].startswith("https://"):
        p.append("StatusCallback")
    if p:
        return p, None
    return [], {"to": g["To"], "from": g["From"], "body_chars": len(g["Body"]),
                "stop_notice": "STOP" in g["Body"], "status_callback": g.get("StatusCallback")}


def make_handler(provider, keys, log, port_of):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "stub-" + provider

        def log_message(self, fmt, *args):  # the JSON log says it all
            pass

        def send(self, status, ctype, body, headers=()):
            data = body if isinstance(body, bytes) else (
                json.dumps(body) if ctype == "application/json" else body).encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            for k, v in headers:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def auth(self):
            """(form, user, credential): bearer/basic/none/other."""
            h = self.headers.get_all("Authorization") or []
            if len(h) != 1:
                return ("none" if not h else "several"), None, None
            h = h[0]
            if h.startswith("Bearer ") and len(h) > 7:
                return "bearer", None, h[7:]
            if h.startswith("Basic "):
                try:
                    user, _, pw = base64.b64decode(h[6:], validate=True).decode().partition(":")
                except Exception:
                    return "other", None, None
                return "basic", user, pw
            return "other", None, None

        def expected(self, user):
            """(path, auth form, credential as the keys file names it)."""
            if provider == "twilio":
                return "/2010-04-01/Accounts/%s.json" % user, "basic"
            return {"sendgrid": ("/v3/scopes", "bearer"), "stripe": ("/v1/balance", "bearer"),
                    "mailgun": ("/v3/domains", "basic"), "openai": ("/v1/models", "bearer")}[provider]

        def send_path(self, user):
            if provider == "sendgrid":
                return "/v3/mail/send"
            if provider == "twilio":
                return "/2010-04-01/Accounts/%s/Messages.json" % user
            return None

        def send_error(self, status, problems):
            if provider == "sendgrid":
                return "application/json", {"errors": [{"field": q, "message": "invalid or "
                                            "missing: " + q, "help": None} for q in problems]}
            code = 21211 if "To" in problems else 21604 if "Body" in problems else 21603 \
                if "From" in problems else 20001
            return "application/json", {"code": code, "message": "Invalid parameter: " +
                                        ",".join(problems), "more_info":
                                        "https://www.twilio.com/docs/errors/%d" % code,
                                        "status": status}

        def handle_send(self, form, user, cred, rec):
            """POST of a message: sendgrid mail/send, twilio Messages.json."""
            clen = self.headers.get("Content-Length")
            if clen is None or not clen.isdigit() or int(clen) > 4 * 1024 * 1024:
                rec["problems"].append("length")
                raw = b""
                self.close_connection = True
            else:
                raw = self.rfile.read(int(clen))
            want_form = "bearer" if provider == "sendgrid" else "basic"
            if form != want_form:
                rec["problems"].append("auth_form")
            known = keys.get(provider, cred) if not rec["problems"] else None
            if not rec["problems"] and known is None:
                rec["problems"].append("unknown_key")
            if rec["problems"]:
                rec.update(behaviour="refused", status=401 if rec["problems"][0] != "length"
                           else 411)
                log.write(rec)
                self.send(rec["status"], *error_body(provider, 401))
                return
            beh, arg = known
            rec["behaviour"] = beh
            if beh in ("401", "403"):
                rec["status"] = int(beh)
                log.write(rec)
                self.send(int(beh), *error_body(provider, int(beh)))
                return
            check = check_sendgrid if provider == "sendgrid" else check_twilio
            probs, summary = check(self.headers.get("Content-Type", ""), raw)
            if probs or beh == "400":
                rec["problems"] += probs or ["recipient_refused"]
                rec["status"] = 400
                log.write(rec)
                self.send(400, *self.send_error(400, rec["problems"]))
                return
            if beh == "slow":
                time.sleep(float(arg or 5))
            headers = []
            status = {"ok": 202 if provider == "sendgrid" else 201, "slow": 202 if provider ==
                      "sendgrid" else 201, "429": 429, "429reset": 429,
                      "500": 500, "503": 503}.get(beh, 500)
            if beh == "429":
                headers.append(("Retry-After", arg or "7"))
            if beh == "429reset":
                headers.append(("X-RateLimit-Reset", str(int(time.time()) + int(arg or 30))))
            if provider == "sendgrid":
                headers += [("X-RateLimit-Limit", "600"), ("X-RateLimit-Remaining", "599")]
            rec["status"] = status
            if status >= 300:
                log.write(rec)
                self.send(status, *error_body(provider, status), headers)
                return
            mid = ("sgmsg" + os.urandom(8).hex()) if provider == "sendgrid" else \
                ("SM" + os.urandom(16).hex())
            rec.update(sent=summary, provider_id=mid)
            log.write(rec)
            if provider == "sendgrid":
                self.send(202, "text/plain", b"", headers + [("X-Message-Id", mid)])
            else:
                self.send(201, "application/json", {
                    "sid": mid, "account_sid": user, "status": "queued", "to": summary["to"],
                    "from": summary["from"], "num_segments": "1", "price": arg,
                    "price_unit": "USD", "error_code": None, "error_message": None,
                    "uri": "/2010-04-01/Accounts/%s/Messages/%s.json" % (user, mid)}, headers)

        def handle_any(self):
            form, user, secret = self.auth()
            cred = secret if provider != "twilio" or secret is None else "%s:%s" % (user, secret)
            rec = {"provider": provider, "method": self.command, "path": self.path, "auth": form,
                   "key": key_id(cred), "problems": [], "t": time.time()}
            if self.command == "POST" and self.path == self.send_path(user):
                self.handle_send(form, user, cred, rec)
                return
            path, want_form = self.expected(user)
            clen = self.headers.get("Content-Length")
            if self.headers.get("Transfer-Encoding") or (clen is not None and clen != "0"):
                rec["problems"].append("body_on_get")
                if clen is not None and clen.isdigit() and int(clen) < 65536:
                    self.rfile.read(int(clen))
                self.close_connection = True
            if self.path == "/elsewhere":
                rec["problems"].append("followed_redirect")
            if self.command != "GET":
                rec["problems"].append("method")
            elif self.path != path:
                rec["problems"].append("path")
            if form != want_form:
                rec["problems"].append("auth_form")
            elif provider == "mailgun" and user != "api":
                rec["problems"].append("basic_user")
            known = keys.get(provider, cred) if not rec["problems"] else None
            if not rec["problems"] and known is None:
                rec["problems"].append("unknown_key")
            if rec["problems"]:
                p = rec["problems"][0]
                status = {"method": 405, "path": 404, "body_on_get": 400,
                          "followed_redirect": 404}.get(p, 401)
                rec.update(behaviour="refused", status=status)
                log.write(rec)
                self.send(status, *error_body(provider, status))
                return
            beh, arg = known
            rec["behaviour"] = beh
            status, headers = 200, []
            if beh == "slow":
                time.sleep(float(arg or 5))
            if beh in ("401", "403", "429", "500", "503"):
                status = int(beh)
            if beh == "429":
                headers.append(("Retry-After", arg or "7"))
            if beh == "302":
                status = 302
                headers.append(("Location", "https://127.0.0.1:%d/elsewhere" % port_of(provider)))
            rec["status"] = status
            log.write(rec)
            if status == 302:
                self.send(302, "text/plain", "Found", headers)
            elif status != 200:
                self.send(status, *error_body(provider, status), headers)
            elif beh == "big":
                self.send(200, "application/json", b'{"pad":"' + b"x" * (300 * 1024) + b'"}')
            elif provider == "twilio":
                self.send(200, "application/json", {"sid": user, "friendly_name": "stub account",
                          "status": "active", "type": "Full", "owner_account_sid": user,
                          "uri": "/2010-04-01/Accounts/%s.json" % user})
            else:
                self.send(200, "application/json", OK_BODY[provider])

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = handle_any

    return Handler


def main():
    ap = argparse.ArgumentParser()
    for a in ("--cert", "--key", "--keys", "--log", "--ports"):
        ap.add_argument(a, required=True)
    args = ap.parse_args()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(args.cert, args.key)
    keys, log, ports, servers = Keys(args.keys), Log(args.log), {}, []
    for p in PROVIDERS:
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                              make_handler(p, keys, log, lambda q: ports[q]))
        srv.daemon_threads = True
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
        ports[p] = srv.server_address[1]
        servers.append(srv)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    tmp = args.ports + ".tmp"
    with open(tmp, "w") as f:
        for p in PROVIDERS:
            f.write("%s %d\n" % (p, ports[p]))
    os.rename(tmp, args.ports)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
