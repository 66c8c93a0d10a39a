#!/usr/bin/python3
"""Strict local HTTPS stubs of the providers bos-broker verifies
credentials with, sends through and makes ads with (docs/BROKERS.md
"bos-broker", CONNECTORS.md F.3, docs/ADS.md).

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
  mailgun   POST /v3/{domain}/messages      Basic api:KEY, multipart/form-data: from, to,
            subject, text and/or html, h:List-Unsubscribe, h:List-Unsubscribe-Post,
            v:bos_message, v:bos_token; other h:/v:/o: allowed (16 KB in all),
            unknown fields refused. 200 + {id, message}.
  ses       POST /v2/email/outbound-emails  AWS SigV4 (the stub recomputes the
            signature from the secret in its keys file: canonical request,
            string to sign, derived key; a mismatch is 403 SignatureDoesNotMatch),
            application/json: FromEmailAddress, Destination.ToAddresses,
            Content.Simple{Subject, Body{Text, Html}, Headers[List-Unsubscribe,
            List-Unsubscribe-Post]}, EmailTags bos_message, bos_token. 200 + MessageId.
            verify: GET /v2/email/account, signed the same way.
  plivo     POST /v1/Account/{AUTH_ID}/Message/   Basic AUTH_ID:TOKEN, application/json
            {src, dst (E.164), text, url? (https), method?}. 202 + message_uuid [UUID].
            verify: GET /v1/Account/{AUTH_ID}/.
Keys file credentials: ses AKID:SECRET, plivo AUTH_ID:TOKEN.
A missing or bad field is 400 with the provider's error body. Behaviours as
above (slow: ARG seconds, then accepted), plus 400 (the provider refuses this
recipient) and 429reset (429 with
X-RateLimit-Reset: now + ARG and no Retry-After). Each accepted message is
one log line with "sent": its recipient, sender, subject, custom_args,
headers and part types (never a credential).

Ads (docs/ADS.md "Jobs and what the broker sends", "Test stub"): meta, the
Meta Marketing API v25.0, as strict. Authorization: Bearer TOKEN only (another
form, none or an unknown token: 401, code 190); access_token in the query or
the body is refused (400, code 100, problem access_token_in_query/_in_body,
the query withheld from the log). Bodies application/x-www-form-urlencoded,
each field once, no field but the table's, no query on a POST; a query not
URL-encoded (a raw { or ") is refused.
  verify    GET  /v25.0/me?fields=id                 200 {id}
  campaign  POST /v25.0/act_N/campaigns   name, objective (OUTCOME_TRAFFIC,
            _AWARENESS, _ENGAGEMENT), status=PAUSED, special_ad_categories
            (JSON list, distinct, of CREDIT EMPLOYMENT HOUSING
            ISSUES_ELECTIONS_POLITICS)                                 {id}
  adset     POST /v25.0/act_N/adsets      name, campaign_id, daily_budget
            (digits, > 0), billing_event=IMPRESSIONS, optimization_goal (the
            campaign's objective's: LINK_CLICKS, REACH, POST_ENGAGEMENT),
            bid_strategy=LOWEST_COST_WITHOUT_CAP, targeting (exactly
            {"geo_locations":{"countries":[1-25 distinct XX]}}), status=PAUSED
  creative  POST /v25.0/act_N/adcreatives name, object_story_id (PAGE_POST)
  ad        POST /v25.0/act_N/ads         name, adset_id, creative (exactly
            {"creative_id":"ID"}), status=PAUSED
  status    POST /v25.0/{id}              status=ACTIVE|PAUSED    {success: true}
            (a campaign, ad set or ad the stub made; each change recorded)
  insights  GET  /v25.0/{campaign}/insights?fields=spend,account_currency&
            time_range={"since":"D","until":"D"}  (one valid day, since == until)
            {data: [{spend, account_currency, date_start, date_stop}], paging}
            as the control set it, or {data: []}
Names: campaign "NAME [ad_X]", the others "NAME [ad_X] ad set|creative|ad",
and the tag [ad_X] of an ad set or an ad is its parents'. Parents
(campaign_id, adset_id, creative_id) must be objects of that type the stub
made in the same act_ account. Ids: 15-18 random digits, as Meta's.
Errors in Meta's shape {"error": {message, type: OAuthException, code,
error_subcode?, fbtrace_id}}: 400 code 100 "(#100) ..." naming the first
field refused (an unknown object: subcode 33), 404 code 2500 for another
path, 405 for another method. Ads-management answers carry
X-Business-Use-Case-Usage (two businesses, the larger wait last).
Keys file "meta TOKEN BEHAVIOUR [ARG]": ok; 401 (code 190, subcode 463);
403 (code 200); 429 (HTTP 429, code 17, subcode 2446079, the header's
largest estimated_time_to_regain_access ARG minutes, default 1); throttle
(the same as HTTP 400, as Meta answers); 400 (code 100: Meta refuses a valid
call); 500 (code 1), 503 (code 2); slow (ARG seconds, then ok: the object
is made even when the client gave up); big (200 with 300 KiB, nothing done);
any other: 500. A call is checked before 400, 429, throttle, 500, 503, slow,
big apply (a bad field is 400 whatever the behaviour).
STEP:BEHAVIOUR (STEP verify, campaign, adset, creative, ad, status or
insights) applies to that step only, ok elsewhere.
Test-only control on the same port (loopback, no auth, logged "control"):
  PUT /__stub/meta/spend/{campaign} {"spend": "12.34", "currency": "USD",
      "day"?: "YYYY-MM-DD"}: what insights answer (for that day, or any day
      without one); any strings, so that a bad spend can be tested
  GET /__stub/meta/objects: {objects: [{id, type, account, name, tag, fields
      (JSON ones parsed), key (the token's key id), status, history:
      [{status, t}], created_at, seq}], spend: [{campaign, day, spend,
      currency}]}
Each meta request is one log line with its step, the object made or changed,
the insights asked (never the token).

usage: providers_stub.py --cert PEM --key PEM --keys FILE --log FILE --ports FILE
The ports file gets "PROVIDER PORT" lines once every stub listens.
"""
import argparse
import base64
import email
import email.policy
import datetime
import hmac
import secrets
import uuid
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

PROVIDERS = ("sendgrid", "twilio", "stripe", "mailgun", "openai", "ses", "plivo",
             "meta")

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
    "ses": {"DedicatedIpAutoWarmupEnabled": False, "EnforcementStatus": "HEALTHY",
            "ProductionAccessEnabled": True, "SendQuota": {"Max24HourSend": 50000.0,
            "MaxSendRate": 14.0, "SentLast24Hours": 0.0}, "SendingEnabled": True},
    "plivo": None,  # built from the auth id
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
    if provider == "ses":
        msg = {401: "The security token included in the request is invalid.",
               403: "The security token included in the request is invalid.",
               429: "Maximum sending rate exceeded."}.get(status, "InternalFailure")
        return "application/json", {"message": msg}
    if provider == "plivo":
        msg = {401: "Authentication failed", 403: "Forbidden", 429: "too many requests"
               }.get(status, "internal server error")
        return "application/json", {"api_id": str(uuid.uuid4()), "error": msg}
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

    def secret_of(self, provider, user):
        """ses: the secret filed for an access key id (the keys file's AKID:SECRET)."""
        self.get(provider, "")
        with self.lock:
            for (p, c) in self.table:
                if p == provider and c.startswith(user + ":"):
                    return c[len(user) + 1:]
        return None


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


DNS = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9]"
                 r"([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
MG_FIELDS = {"from", "to", "cc", "bcc", "subject", "text", "html", "amp-html", "template"}


def check_mailgun(ctype, raw):
    """(problems, summary) of a messages form, per CONNECTORS.md A3."""
    if ctype.split(";")[0].strip() != "multipart/form-data" or "boundary=" not in ctype:
        return ["content_type"], None
    msg = email.message_from_bytes(b"Content-Type: " + ctype.encode() +
                                   b"\r\nMIME-Version: 1.0\r\n\r\n" + raw,
                                   policy=email.policy.HTTP)
    if not msg.is_multipart() or msg.defects:
        return ["multipart"], None
    f, p = {}, []
    for part in msg.iter_parts():
        if part.get_content_disposition() != "form-data" or part.get_param(
                "name", header="content-disposition") is None:
            return ["multipart"], None
        name = part.get_param("name", header="content-disposition")
        try:
            val = part.get_payload(decode=True).decode("utf-8")
        except (UnicodeDecodeError, AttributeError):
            return ["utf8:" + name], None
        if name in f:
            p.append("repeated:" + name)
        f[name] = val
    p += ["unknown_field:" + k for k in f
          if k not in MG_FIELDS and not re.match(r"^[ohvt]:[A-Za-z0-9_.-]+$", k)]
    if sum(len(k) + len(v) for k, v in f.items() if k[:2] in ("o:", "h:", "v:", "t:")) > 16384:
        p.append("options_size")
    for k in ("from", "to", "subject"):
        if not f.get(k) or re.search(r"[\r\n]", f[k]):
            p.append(k)
    if "to" not in p and not EMAIL.match(re.sub(r"^.*<([^>]*)>$", r"\1", f["to"])):
        p.append("to")
    if not f.get("text") and not f.get("html"):
        p.append("text")
    for k in ("h:List-Unsubscribe", "h:List-Unsubscribe-Post", "v:bos_message", "v:bos_token"):
        if not f.get(k) or re.search(r"[\r\n]", f[k]):
            p.append(k)
    if any(k.lower() in ("h:from", "h:to", "h:subject", "h:bcc", "h:cc") for k in f):
        p.append("reserved_header")
    if p:
        return p, None
    return [], {"to": f["to"], "from": f["from"], "subject": f["subject"],
                "variables": {k[2:]: v for k, v in f.items() if k.startswith("v:")},
                "headers": {k[2:]: v for k, v in f.items() if k.startswith("h:")},
                "parts": [k for k in ("text", "html") if f.get(k)]}


SES_TOP = {"FromEmailAddress", "FromEmailAddressIdentityArn", "Destination", "ReplyToAddresses",
           "FeedbackForwardingEmailAddress", "Content", "EmailTags", "ConfigurationSetName",
           "ListManagementOptions"}
SES_TAG = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def check_ses(ctype, raw):
    """(problems, summary) of a SendEmail body, per CONNECTORS.md A4."""
    if ctype.split(";")[0].strip() != "application/json":
        return ["content_type"], None
    try:
        b = json.loads(raw)
    except ValueError:
        return ["json"], None
    if not isinstance(b, dict):
        return ["json"], None
    p = ["unknown_key:" + k for k in b if k not in SES_TOP]
    fr = b.get("FromEmailAddress")
    if not isinstance(fr, str) or not EMAIL.match(re.sub(r"^.*<([^>]*)>$", r"\1", fr)):
        p.append("FromEmailAddress")
    d = b.get("Destination")
    to = d.get("ToAddresses") if isinstance(d, dict) else None
    if not isinstance(to, list) or len(to) != 1 or not isinstance(to[0], str) or \
            not EMAIL.match(to[0]) or any(k not in ("ToAddresses", "CcAddresses", "BccAddresses")
                                          for k in d):
        p.append("Destination")
    c = b.get("Content")
    simple = c.get("Simple") if isinstance(c, dict) and list(c) == ["Simple"] else None
    if not isinstance(simple, dict) or any(k not in ("Subject", "Body", "Headers")
                                           for k in simple):
        return p + ["Content"], None
    subj = simple.get("Subject")
    if not isinstance(subj, dict) or not isinstance(subj.get("Data"), str) or \
            not subj["Data"] or "\n" in subj["Data"]:
        p.append("Subject")
    body = simple.get("Body")
    parts = [k for k in ("Text", "Html") if isinstance(body, dict) and
             isinstance(body.get(k), dict) and isinstance(body[k].get("Data"), str) and
             body[k]["Data"]]
    if not parts or any(k not in ("Text", "Html") for k in body):
        p.append("Body")
    hs = simple.get("Headers")
    hd = {}
    if not isinstance(hs, list) or not all(isinstance(h, dict) and set(h) == {"Name", "Value"}
                                           and isinstance(h["Name"], str) and
                                           isinstance(h["Value"], str) for h in hs):
        p.append("Headers")
    else:
        hd = {h["Name"]: h["Value"] for h in hs}
        if any(k.lower() in ("from", "to", "subject", "bcc", "cc", "reply-to", "message-id") or
               re.search(r"[\r\n:\s]", k) or re.search(r"[\r\n]", v) for k, v in hd.items()):
            p.append("reserved_header")
        if not all(hd.get(k) for k in ("List-Unsubscribe", "List-Unsubscribe-Post")):
            p.append("Headers")
    tags = b.get("EmailTags")
    td = {}
    if not isinstance(tags, list) or not all(
            isinstance(t, dict) and set(t) == {"Name", "Value"} and isinstance(t["Name"], str)
            and isinstance(t["Value"], str) and SES_TAG.match(t["Name"]) and
            SES_TAG.match(t["Value"]) for t in tags):
        p.append("EmailTags")
    else:
        td = {t["Name"]: t["Value"] for t in tags}
        if not td.get("bos_message") or not td.get("bos_token"):
            p.append("EmailTags")
    if p:
        return p, None
    return [], {"to": to[0], "from": fr, "subject": subj["Data"], "tags": td, "headers": hd,
                "reply_to": (b.get("ReplyToAddresses") or [None])[0],
                "parts": ["text/plain" if k == "Text" else "text/html" for k in parts]}


PL_FIELDS = {"src", "dst", "text", "url", "method", "type", "log", "powerpack_uuid",
             "trackable", "media_urls", "media_ids"}


def check_plivo(ctype, raw):
    """(problems, summary) of a Message/ body, per CONNECTORS.md A7."""
    if ctype.split(";")[0].strip() != "application/json":
        return ["content_type"], None
    try:
        b = json.loads(raw)
    except ValueError:
        return ["json"], None
    if not isinstance(b, dict):
        return ["json"], None
    p = ["unknown_field:" + k for k in b if k not in PL_FIELDS]
    if not isinstance(b.get("dst"), str) or not E164.match(b["dst"]):
        p.append("dst")
    if not isinstance(b.get("src"), str) or not (E164.match(b["src"]) or
                                                re.match(r"^[A-Za-z0-9]{1,11}$", b["src"])):
        p.append("src")
    if not isinstance(b.get("text"), str) or not b["text"] or len(b["text"]) > 1600:
        p.append("text")
    if "url" in b and (not isinstance(b["url"], str) or not b["url"].startswith("https://")):
        p.append("url")
    if "method" in b and b["method"] not in ("GET", "POST"):
        p.append("method")
    if p:
        return p, None
    return [], {"to": b["dst"], "from": b["src"], "body_chars": len(b["text"]),
                "stop_notice": "STOP" in b["text"], "status_callback": b.get("url")}


SIGV4_AUTH = re.compile(r"^AWS4-HMAC-SHA256 Credential=([A-Z0-9]{16,128})/([0-9]{8})/"
                        r"([a-z]{2}-[a-z]+-[0-9])/([a-z0-9]+)/aws4_request, ?"
                        r"SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$")


def sigv4_check(method, path, headers, raw, secret_of):
    """(problem or None, key id, secret, region): AWS SigV4 recomputed from the secret."""
    h = headers.get_all("Authorization") or []
    if len(h) != 1:
        return "auth_form", None, None, None
    m = SIGV4_AUTH.match(h[0])
    if not m:
        return "auth_form", None, None, None
    akid, day, region, service, signed, sig = m.groups()
    amz = headers.get("X-Amz-Date") or ""
    if service != "ses" or not re.match(r"^[0-9]{8}T[0-9]{6}Z$", amz) or amz[:8] != day:
        return "scope", akid, None, region
    try:
        t = time.mktime(time.strptime(amz, "%Y%m%dT%H%M%SZ")) - time.timezone
    except ValueError:
        return "scope", akid, None, region
    if abs(t - time.time()) > 900:
        return "clock_skew", akid, None, region
    names = signed.split(";")
    if "host" not in names or "x-amz-date" not in names or names != sorted(names):
        return "signed_headers:" + signed, akid, None, region
    secret = secret_of(akid)
    if secret is None:
        return "unknown_key", akid, None, region
    canon_h = ""
    for n in names:
        vals = headers.get_all(n) or []
        if len(vals) != 1:
            return "signed_headers:" + n, akid, secret, region
        canon_h += "%s:%s\n" % (n, " ".join(vals[0].split()))
    upath, _, query = path.partition("?")
    canon_q = "&".join(sorted(query.split("&"))) if query else ""
    creq = "\n".join([method, urllib.parse.quote(urllib.parse.unquote(upath), safe="/-_.~"),
                      canon_q, canon_h, signed, hashlib.sha256(raw).hexdigest()])
    scope = "%s/%s/%s/aws4_request" % (day, region, service)
    sts = "\n".join(["AWS4-HMAC-SHA256", amz, scope,
                     hashlib.sha256(creq.encode()).hexdigest()])
    k = ("AWS4" + secret).encode()
    for part in (day, region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    want = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(want, sig):
        return "signature", akid, secret, region
    return None, akid, secret, region


META_OBJECTIVES = {"OUTCOME_TRAFFIC": "LINK_CLICKS", "OUTCOME_AWARENESS": "REACH",
                   "OUTCOME_ENGAGEMENT": "POST_ENGAGEMENT"}
META_CATEGORIES = {"CREDIT", "EMPLOYMENT", "HOUSING", "ISSUES_ELECTIONS_POLITICS"}
META_FIELDS = {
    "campaign": {"name", "objective", "status", "special_ad_categories"},
    "adset": {"name", "campaign_id", "daily_budget", "billing_event", "optimization_goal",
              "bid_strategy", "targeting", "status"},
    "creative": {"name", "object_story_id"},
    "ad": {"name", "adset_id", "creative", "status"},
    "status": {"status"},
}
META_EDGES = {"campaigns": "campaign", "adsets": "adset", "adcreatives": "creative", "ads": "ad"}
META_SUFFIX = {"campaign": "", "adset": " ad set", "creative": " creative", "ad": " ad"}
META_NAME = re.compile(r"^([^\x00-\x1f\x7f]{1,128}) \[(ad_[a-z2-7]{26})\]$")
META_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
META_STEPS = ("verify", "campaign", "adset", "creative", "ad", "status", "insights")
# Characters RFC 3986 allows in a query; anything else (a raw { or ") was not URL-encoded.
QUERY_BAD = re.compile(r"[^A-Za-z0-9\-._~%!$&'()*+,;=:@/?]")


class MetaStore:
    """The objects made through the meta stub (id -> object) and the spend the control
    endpoint set ((campaign, day or None) -> (spend, currency)), in memory."""

    def __init__(self):
        self.lock, self.objects, self.spend, self.seq = threading.Lock(), {}, {}, 0

    def new_id(self):
        """A fresh id as Meta's: 15 to 18 random digits (caller holds the lock)."""
        while True:
            n = 15 + secrets.randbelow(4)
            i = str(10 ** (n - 1) + secrets.randbelow(9 * 10 ** (n - 1)))
            if i not in self.objects:
                return i


META = MetaStore()


def meta_json(v):
    try:
        return json.loads(v)
    except ValueError:
        return None


def meta_day(v):
    if not isinstance(v, str) or not META_DAY.match(v):
        return False
    try:
        datetime.date.fromisoformat(v)
    except ValueError:
        return False
    return True


def meta_check(step, account, form, objects):
    """(problems, messages, fields) of a creation or status form, per docs/ADS.md "Jobs and
    what the broker sends"; fields has the JSON ones parsed and the parents' tags checked."""
    p, m = [], []

    def bad(field, why):
        p.append(field)
        m.append("Param %s %s" % (field, why))

    for k, v in form.items():
        if k not in META_FIELDS[step]:
            p.append("unknown_field:" + k)
            m.append("Param %s is not a valid parameter here" % k)
        elif len(v) != 1:
            p.append("repeated:" + k)
            m.append("Param %s is given more than once" % k)
    g = {k: v[0] for k, v in form.items() if len(v) == 1 and k in META_FIELDS[step]}
    for k in sorted(META_FIELDS[step] - set(form)):
        p.append(k)
        m.append("The parameter %s is required" % k)
    fields, tag, parent = dict(g), None, {}

    def obj(field, typ):
        v = g.get(field)
        if v is None:
            return None
        o = objects.get(v) if isinstance(v, str) else None
        if o is None or o["type"] != typ:
            bad(field, "must be the id of a %s made by this stub" % typ)
            return None
        if o["account"] != account:
            bad(field, "must be a %s of %s (it is of %s)" % (typ, account, o["account"]))
            return None
        return o

    if step == "status":
        if "status" in g and g["status"] not in ("ACTIVE", "PAUSED"):
            bad("status", "must be one of {ACTIVE, PAUSED}")
        return p, m, fields, None
    if "name" in g:
        nm = g["name"]
        sfx = META_SUFFIX[step]
        mt = META_NAME.match(nm[:len(nm) - len(sfx)]) if nm.endswith(sfx) else None
        if mt is None:
            bad("name", "must be 'NAME [ad_...]%s' (docs/ADS.md)" % sfx)
        else:
            tag = mt.group(2)
    if step in ("campaign", "adset", "ad") and "status" in g and g["status"] != "PAUSED":
        bad("status", "must be PAUSED at creation")
    if step == "campaign":
        if "objective" in g and g["objective"] not in META_OBJECTIVES:
            bad("objective", "must be one of {%s}" % ", ".join(sorted(META_OBJECTIVES)))
        if "special_ad_categories" in g:
            c = meta_json(g["special_ad_categories"])
            if not isinstance(c, list) or len(set(map(str, c))) != len(c) or \
                    any(not isinstance(x, str) or x not in META_CATEGORIES for x in c):
                bad("special_ad_categories", "must be a JSON list of distinct categories of {%s}"
                    % ", ".join(sorted(META_CATEGORIES)))
            else:
                fields["special_ad_categories"] = c
    elif step == "adset":
        camp = obj("campaign_id", "campaign")
        if camp is not None:
            parent["campaign"] = camp
            if "optimization_goal" in g and g["optimization_goal"] != \
                    META_OBJECTIVES[camp["fields"]["objective"]]:
                bad("optimization_goal", "must be %s for the objective %s" % (
                    META_OBJECTIVES[camp["fields"]["objective"]], camp["fields"]["objective"]))
        if "daily_budget" in g and not re.match(r"^[1-9][0-9]{0,17}$", g["daily_budget"]):
            bad("daily_budget", "must be a number (minor units, digits)")
        if "billing_event" in g and g["billing_event"] != "IMPRESSIONS":
            bad("billing_event", "must be IMPRESSIONS")
        if "optimization_goal" in g and g["optimization_goal"] not in META_OBJECTIVES.values():
            bad("optimization_goal", "must be one of {%s}" % ", ".join(
                sorted(META_OBJECTIVES.values())))
        if "bid_strategy" in g and g["bid_strategy"] != "LOWEST_COST_WITHOUT_CAP":
            bad("bid_strategy", "must be LOWEST_COST_WITHOUT_CAP")
        if "targeting" in g:
            t = meta_json(g["targeting"])
            geo = t.get("geo_locations") if isinstance(t, dict) and list(t) == \
                ["geo_locations"] else None
            cs = geo.get("countries") if isinstance(geo, dict) and list(geo) == \
                ["countries"] else None
            if not isinstance(cs, list) or not 1 <= len(cs) <= 25 or \
                    any(not isinstance(x, str) or not re.match(r"^[A-Z]{2}$", x) for x in cs) \
                    or len(set(cs)) != len(cs):
                bad("targeting", 'must be {"geo_locations":{"countries":[1 to 25 distinct '
                    'codes]}} and nothing else')
            else:
                fields["targeting"] = t
    elif step == "creative":
        if "object_story_id" in g and not re.match(r"^[0-9]{1,20}_[0-9]{1,20}$",
                                                    g["object_story_id"]):
            bad("object_story_id", "must be PAGEID_POSTID")
    elif step == "ad":
        ads = obj("adset_id", "adset")
        if ads is not None:
            parent["adset"] = ads
        if "creative" in g:
            c = meta_json(g["creative"])
            if not isinstance(c, dict) or list(c) != ["creative_id"] or \
                    not isinstance(c["creative_id"], str):
                bad("creative", 'must be {"creative_id":"ID"} and nothing else')
            else:
                fields["creative"] = c
                g["creative_id"] = c["creative_id"]
                cr = obj("creative_id", "creative")
                if cr is not None:
                    parent["creative"] = cr
    if tag is not None:
        for k, o in parent.items():
            if o["tag"] != tag:
                bad("name", "must carry the tag of its %s [%s], not [%s]" % (k, o["tag"], tag))
                break
    return p, m, fields, tag


def meta_check_insights(q):
    """(problems, messages, day) of an insights query."""
    p, m = [], []
    for k, v in q.items():
        if k not in ("fields", "time_range"):
            p.append("unknown_field:" + k)
            m.append("Param %s is not a valid parameter here" % k)
        elif len(v) != 1:
            p.append("repeated:" + k)
            m.append("Param %s is given more than once" % k)
    for k in ("fields", "time_range"):
        if k not in q:
            p.append(k)
            m.append("The parameter %s is required" % k)
    if p:
        return p, m, None
    fl = q["fields"][0].split(",")
    if sorted(fl) != ["account_currency", "spend"]:
        p.append("fields")
        m.append("Param fields must be spend,account_currency")
    t = meta_json(q["time_range"][0])
    if not isinstance(t, dict) or sorted(t) != ["since", "until"] or \
            not meta_day(t["since"]) or not meta_day(t["until"]):
        p.append("time_range")
        m.append('Param time_range must be {"since":"YYYY-MM-DD","until":"YYYY-MM-DD"}')
    elif t["since"] != t["until"]:
        p.append("time_range")
        m.append("Param time_range must be one day: since == until")
    return p, m, (t["since"] if not p else None)


def meta_buc(account, minutes):
    """X-Business-Use-Case-Usage: two businesses, the larger wait last."""
    u = lambda n, w: [{"type": "ads_management", "call_count": n, "total_cputime": n,
                       "total_time": n, "estimated_time_to_regain_access": w}]
    return json.dumps({"1000000000000001": u(1, 0), account or "1000000000000002":
                       u(100 if minutes else 2, minutes)})


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
            if h.startswith("AWS4-HMAC-SHA256 "):
                return "sigv4", None, None
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
            if provider == "plivo":
                return "/v1/Account/%s/" % user, "basic"
            if provider == "ses":
                return "/v2/email/account", "sigv4"
            return {"sendgrid": ("/v3/scopes", "bearer"), "stripe": ("/v1/balance", "bearer"),
                    "mailgun": ("/v3/domains", "basic"), "openai": ("/v1/models", "bearer")}[provider]

        def send_path(self, user):
            if provider == "sendgrid":
                return "/v3/mail/send"
            if provider == "twilio":
                return "/2010-04-01/Accounts/%s/Messages.json" % user
            if provider == "plivo":
                return "/v1/Account/%s/Message/" % user
            if provider == "ses":
                return "/v2/email/outbound-emails"
            if provider == "mailgun":
                m = re.match(r"^/v3/([^/]+)/messages$", self.path)
                return self.path if m and DNS.match(m.group(1)) else None
            return None

        def send_error(self, status, problems):
            if provider == "sendgrid":
                return "application/json", {"errors": [{"field": q, "message": "invalid or "
                                            "missing: " + q, "help": None} for q in problems]}
            if provider == "mailgun":
                return "application/json", {"message": "'%s' parameter is missing or invalid" %
                                            problems[0]}
            if provider == "ses":
                return "application/json", {"message": "Invalid request: " + ",".join(problems)}
            if provider == "plivo":
                return "application/json", {"api_id": str(uuid.uuid4()), "error":
                                            "invalid parameter: " + ",".join(problems)}
            code = 21211 if "To" in problems else 21604 if "Body" in problems else 21603 \
                if "From" in problems else 20001
            return "application/json", {"code": code, "message": "Invalid parameter: " +
                                        ",".join(problems), "more_info":
                                        "https://www.twilio.com/docs/errors/%d" % code,
                                        "status": status}

        def read_body(self, rec):
            clen = self.headers.get("Content-Length")
            if self.headers.get("Transfer-Encoding") or clen is None or not clen.isdigit() or \
                    int(clen) > 4 * 1024 * 1024:
                rec["problems"].append("length")
                self.close_connection = True
                return b""
            return self.rfile.read(int(clen))

        def handle_send(self, form, user, cred, rec, raw=None):
            """POST of a message: sendgrid mail/send, twilio Messages.json, mailgun messages,
            ses outbound-emails, plivo Message/."""
            if raw is None:
                raw = self.read_body(rec)
            want_form = {"sendgrid": "bearer", "ses": "sigv4"}.get(provider, "basic")
            if form != want_form:
                rec["problems"].append("auth_form")
            elif provider == "mailgun" and user != "api":
                rec["problems"].append("basic_user")
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
            check = {"sendgrid": check_sendgrid, "twilio": check_twilio, "mailgun": check_mailgun,
                     "ses": check_ses, "plivo": check_plivo}[provider]
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
            okst = {"sendgrid": 202, "twilio": 201, "mailgun": 200, "ses": 200,
                    "plivo": 202}[provider]
            status = {"ok": okst, "slow": okst, "429": 429, "429reset": 429,
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
            mid = {"sendgrid": "sgmsg" + os.urandom(8).hex(), "twilio": "SM" + os.urandom(16).hex(),
                   "mailgun": "<%s.%s@%s>" % (time.strftime("%Y%m%d%H%M%S"), os.urandom(6).hex(),
                                              self.path.split("/")[2]),
                   "ses": "0100018c%s-%s-%s-000000" % (os.urandom(4).hex(), os.urandom(4).hex(),
                                                      str(uuid.uuid4())),
                   "plivo": str(uuid.uuid4())}[provider]
            rec.update(sent=summary, provider_id=mid)
            log.write(rec)
            if provider == "mailgun":
                self.send(200, "application/json", {"id": mid, "message": "Queued. Thank you."},
                          headers)
            elif provider == "ses":
                self.send(200, "application/json", {"MessageId": mid}, headers)
            elif provider == "plivo":
                self.send(202, "application/json", {"api_id": str(uuid.uuid4()), "message":
                                                    "message(s) queued", "message_uuid": [mid]},
                          headers)
            elif provider == "sendgrid":
                self.send(202, "text/plain", b"", headers + [("X-Message-Id", mid)])
            else:
                self.send(201, "application/json", {
                    "sid": mid, "account_sid": user, "status": "queued", "to": summary["to"],
                    "from": summary["from"], "num_segments": "1", "price": arg,
                    "price_unit": "USD", "error_code": None, "error_message": None,
                    "uri": "/2010-04-01/Accounts/%s/Messages/%s.json" % (user, mid)}, headers)

        def handle_any(self):
            if provider == "meta":
                self.handle_meta()
                return
            form, user, secret = self.auth()
            cred = secret if provider not in ("twilio", "plivo") or secret is None else \
                "%s:%s" % (user, secret)
            rec = {"provider": provider, "method": self.command, "path": self.path, "auth": form,
                   "key": key_id(cred), "problems": [], "t": time.time()}
            if provider == "ses":
                self.handle_ses(form, rec)
                return
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
            elif provider == "plivo":
                self.send(200, "application/json", {"api_id": str(uuid.uuid4()),
                          "auth_id": user, "account_type": "standard", "cash_credits": "10.00",
                          "resource_uri": "/v1/Account/%s/" % user})
            elif provider == "twilio":
                self.send(200, "application/json", {"sid": user, "friendly_name": "stub account",
                          "status": "active", "type": "Full", "owner_account_sid": user,
                          "uri": "/2010-04-01/Accounts/%s.json" % user})
            else:
                self.send(200, "application/json", OK_BODY[provider])

        def handle_ses(self, form, rec):
            """SES: every request signed (SigV4, recomputed here); then as the others."""
            raw = self.read_body(rec) if self.command == "POST" else b""
            if self.command != "POST" and (self.headers.get("Content-Length") not in (None, "0")
                                           or self.headers.get("Transfer-Encoding")):
                rec["problems"].append("body_on_get")
                self.close_connection = True
            prob, akid, secret, region = sigv4_check(
                self.command, self.path, self.headers, raw,
                lambda a: keys.secret_of("ses", a))
            rec["region"] = region
            cred = "%s:%s" % (akid, secret) if secret is not None else akid
            rec["key"] = key_id(cred)
            if prob is not None or rec["problems"]:
                rec["problems"].append(prob or "request")
                rec.update(behaviour="refused", status=403 if prob else 400)
                log.write(rec)
                etype = {"signature": "SignatureDoesNotMatchException", "unknown_key":
                         "UnrecognizedClientException", "auth_form":
                         "MissingAuthenticationTokenException"}.get(prob, "BadRequestException")
                msg = {"signature": "The request signature we calculated does not match the "
                       "signature you provided. Check your AWS Secret Access Key and signing "
                       "method.", "unknown_key": "The security token included in the request is "
                       "invalid.", "auth_form": "Missing Authentication Token"}.get(
                           prob, "Bad request")
                self.send(rec["status"], "application/json", {"message": msg,
                          "code": "SignatureDoesNotMatch" if prob == "signature" else etype},
                          [("x-amzn-ErrorType", etype)])
                return
            if self.command == "POST" and self.path == "/v2/email/outbound-emails":
                self.handle_send(form, None, cred, rec, raw)
                return
            known = keys.get("ses", cred)
            if self.command != "GET" or self.path != "/v2/email/account":
                rec["problems"].append("method" if self.command != "GET" else "path")
                rec.update(behaviour="refused", status=405 if self.command != "GET" else 404)
                log.write(rec)
                self.send(rec["status"], *error_body("ses", 500))
                return
            beh = known[0]
            rec["behaviour"] = beh
            status = int(beh) if beh in ("401", "403", "429", "500", "503") else 200
            rec["status"] = status
            log.write(rec)
            if status != 200:
                self.send(status, *error_body("ses", status),
                          [("Retry-After", known[1] or "7")] if status == 429 else [])
            else:
                self.send(200, "application/json", OK_BODY["ses"])

        def meta_send(self, rec, status, body, headers=()):
            rec["status"] = status
            log.write(rec)
            self.send(status, "application/json", body, headers)

        def meta_error(self, rec, status, code, message, subcode=None, headers=()):
            """Meta's error shape: {"error": {message, type, code, error_subcode?, fbtrace_id}}."""
            e = {"message": message, "type": "OAuthException", "code": code,
                 "fbtrace_id": "A" + base64.b64encode(os.urandom(15)).decode().translate(
                     str.maketrans("+/", "xy"))}
            if subcode is not None:
                e["error_subcode"] = subcode
            if code in (1, 2):
                e["is_transient"] = True
            rec.setdefault("behaviour", "refused")
            self.meta_send(rec, status, {"error": e}, headers)

        def handle_meta(self):
            """Meta Marketing API v25.0 (docs/ADS.md), strict; /__stub/meta/ is the control."""
            form, _, token = self.auth()
            path, _, query = self.path.partition("?")
            try:
                q = urllib.parse.parse_qs(query, keep_blank_values=True,
                                          strict_parsing=True) if query else {}
            except ValueError:
                q = None
            leak = q is None and "access_token" in query.lower() or \
                q is not None and any(k.lower() == "access_token" for k in q)
            rec = {"provider": "meta", "method": self.command, "path": path + (
                "?(withheld: access_token)" if leak else "?(withheld: not a query)" if q is None
                else "?" + query if query else ""),
                "auth": form, "key": key_id(token if form == "bearer" else None),
                "problems": [], "t": time.time()}
            if path.startswith("/__stub/"):
                self.meta_control(rec, path)
                return
            acct = re.match(r"^/v25\.0/(act_[0-9]{1,20})/(campaigns|adsets|adcreatives|ads)$",
                            path)
            node = re.match(r"^/v25\.0/([0-9]{1,32})(/insights)?$", path)
            step, want = None, None
            if path == "/v25.0/me":
                step, want = "verify", "GET"
            elif acct:
                step, want = META_EDGES[acct.group(2)], "POST"
            elif node:
                step, want = ("insights", "GET") if node.group(2) else ("status", "POST")
            rec["step"] = step
            raw = b""
            if self.command == "POST":
                raw = self.read_body(rec)
            elif self.headers.get("Transfer-Encoding") or \
                    self.headers.get("Content-Length") not in (None, "0"):
                rec["problems"].append("body_on_get")
                clen = self.headers.get("Content-Length") or ""
                if clen.isdigit() and int(clen) < 65536:
                    self.rfile.read(int(clen))
                self.close_connection = True
            if rec["problems"]:
                self.meta_error(rec, 411 if rec["problems"][0] == "length" else 400, 100,
                                "(#100) A GET has no body; a POST has a Content-Length")
                return
            body = {}
            if self.command == "POST":
                ctype = self.headers.get("Content-Type", "").split(";")[0].strip()
                try:
                    body = urllib.parse.parse_qs(raw.decode("utf-8"), keep_blank_values=True,
                                                 strict_parsing=True) if raw else {}
                except (ValueError, UnicodeDecodeError):
                    body = None
                if any(k.lower() == "access_token" for k in body or {}) or (
                        body is None or ctype != "application/x-www-form-urlencoded") and \
                        b"access_token" in raw.lower():
                    rec["problems"].append("access_token_in_body")
                elif ctype != "application/x-www-form-urlencoded":
                    rec["problems"].append("content_type")
                elif body is None:
                    rec["problems"].append("form")
            if leak:
                rec["problems"].insert(0, "access_token_in_query")
            elif q is None or QUERY_BAD.search(query):
                rec["problems"].insert(0, "query_encoding")
            if rec["problems"]:
                msg = {"access_token_in_query": "(#100) access_token in the URL is refused: "
                       "send Authorization: Bearer (docs/ADS.md)", "access_token_in_body":
                       "(#100) access_token in the body is refused: send Authorization: Bearer "
                       "(docs/ADS.md)", "query_encoding": "(#100) the query string is not "
                       "URL-encoded", "content_type": "(#100) the body must be "
                       "application/x-www-form-urlencoded", "form": "(#100) the body is not a "
                       "form"}[rec["problems"][0]]
                self.meta_error(rec, 400, 100, msg)
                return
            if step is None:
                rec["problems"].append("path")
                self.meta_error(rec, 404, 2500, "Unknown path components: " + path)
                return
            if self.command != want:
                rec["problems"].append("method")
                self.meta_error(rec, 405, 100, "(#100) Unsupported %s request on %s" % (
                    self.command.lower(), path))
                return
            if form != "bearer":
                rec["problems"].append("auth_form")
            known = keys.get("meta", token) if not rec["problems"] else None
            if not rec["problems"] and known is None:
                rec["problems"].append("unknown_key")
            if rec["problems"]:
                self.meta_error(rec, 401, 190, "Invalid OAuth access token - Cannot parse "
                                "access token" if form != "bearer" else
                                "Invalid OAuth access token data.")
                return
            beh, arg = known
            if ":" in beh:  # STEP:BEHAVIOUR: that step only, ok elsewhere
                s, _, b = beh.partition(":")
                beh = b if s == step else "ok"
            rec["behaviour"] = beh
            if beh == "401":
                self.meta_error(rec, 401, 190, "Error validating access token: Session has "
                                "expired.", 463)
                return
            if beh == "403":
                self.meta_error(rec, 403, 200, "(#200) Requires ads_management permission to "
                                "manage the object")
                return
            account = acct.group(1) if acct else None
            with META.lock:
                obj = META.objects.get(node.group(1)) if node else None
                if node and (obj is None or obj["type"] == "creative" or
                             step == "insights" and obj["type"] != "campaign"):
                    probs, msgs = ["unknown_object"], [
                        "Unsupported %s request. Object with ID '%s' does not exist, cannot be "
                        "loaded due to missing permissions, or does not support this operation"
                        % (self.command.lower(), node.group(1))]
                elif step == "verify":
                    probs = [] if q == {"fields": ["id"]} else ["fields"]
                    msgs = ["Param fields must be id"]
                elif step == "insights":
                    probs, msgs, day = meta_check_insights(q)
                else:
                    probs = ["unknown_field:" + k for k in q]
                    msgs = ["Param %s is not a valid parameter here (in the query)" % k
                            for k in q]
                    p2, m2, fields, tag = meta_check(step, account or obj["account"], body,
                                                     META.objects)
                    probs, msgs = probs + p2, msgs + m2
            if obj is not None:
                account = obj["account"]
            buc = [("X-Business-Use-Case-Usage", meta_buc(account and account[4:], 0))] \
                if step != "verify" else []
            if probs:
                rec["problems"] += probs
                self.meta_error(rec, 400, 100, "(#100) " + msgs[0],
                                33 if probs[0] == "unknown_object" else None, buc)
                return
            if beh == "slow":
                time.sleep(float(arg or 5))
            if beh in ("429", "throttle"):
                self.meta_error(rec, 429 if beh == "429" else 400, 17, "(#17) User request "
                                "limit reached", 2446079, [("X-Business-Use-Case-Usage",
                                                            meta_buc(account and account[4:],
                                                                     int(arg or 1)))])
                return
            if beh == "400":
                self.meta_error(rec, 400, 100, "(#100) Invalid parameter: the stub refuses "
                                "this call (behaviour 400)", 1487390, buc)
                return
            if beh in ("500", "503") or beh not in ("ok", "slow", "big"):
                self.meta_error(rec, 503 if beh == "503" else 500, 2 if beh == "503" else 1,
                                "Service temporarily unavailable" if beh == "503" else
                                "An unknown error occurred")
                return
            if beh == "big":
                rec["status"] = 200
                log.write(rec)
                self.send(200, "application/json", b'{"pad":"' + b"x" * (300 * 1024) + b'"}')
                return
            if step == "verify":
                self.meta_send(rec, 200, {"id": str(int(hashlib.sha256(token.encode())
                                                        .hexdigest(), 16) % 10 ** 15 +
                                                    10 ** 15)})
                return
            now = time.time()
            with META.lock:
                if step == "insights":
                    sp = META.spend.get((obj["id"], day)) or META.spend.get((obj["id"], None))
                    rec["insights"] = {"campaign": obj["id"], "day": day,
                                       "spend": sp and sp[0]}
                    ans = {"data": []} if sp is None else {"data": [{
                        "spend": sp[0], "account_currency": sp[1], "date_start": day,
                        "date_stop": day}], "paging": {"cursors": {"before": "MAZDZD",
                                                                   "after": "MAZDZD"}}}
                elif step == "status":
                    obj["status"] = fields["status"]
                    obj["history"].append({"status": fields["status"], "t": now})
                    rec["object"] = {"type": obj["type"], "id": obj["id"],
                                     "status": fields["status"]}
                    ans = {"success": True}
                else:
                    i = META.new_id()
                    META.seq += 1
                    META.objects[i] = {
                        "id": i, "type": step, "account": account, "name": fields["name"],
                        "tag": tag, "fields": fields, "key": rec["key"], "seq": META.seq,
                        "status": None if step == "creative" else "PAUSED",
                        "history": [] if step == "creative" else [{"status": "PAUSED",
                                                                   "t": now}],
                        "created_at": now}
                    rec["object"] = {"type": step, "id": i}
                    ans = {"id": i}
            self.meta_send(rec, 200, ans, buc)

        def meta_control(self, rec, path):
            """Test-only: PUT /__stub/meta/spend/{campaign} {spend, currency, day?} sets what
            insights answer; GET /__stub/meta/objects lists every object."""
            rec["control"] = True
            spend = re.match(r"^/__stub/meta/spend/([0-9]{1,32})$", path)
            if self.command == "GET" and path == "/__stub/meta/objects":
                with META.lock:
                    objs = sorted((dict(o) for o in META.objects.values()),
                                  key=lambda o: o["seq"])
                    sp = [{"campaign": c, "day": d, "spend": s, "currency": cur}
                          for (c, d), (s, cur) in sorted(META.spend.items(),
                                                         key=lambda x: (x[0][0], x[0][1] or ""))]
                self.meta_send(rec, 200, {"objects": objs, "spend": sp})
                return
            if not spend or self.command != "PUT":
                rec["problems"].append("path" if not spend else "method")
                self.meta_send(rec, 404 if not spend else 405, {"error": "no such control"})
                return
            raw = self.read_body(rec)
            b = meta_json(raw.decode("utf-8", "replace")) if not rec["problems"] else None
            if not isinstance(b, dict) or any(k not in ("spend", "currency", "day") for k in b) \
                    or not isinstance(b.get("spend"), str) or not 1 <= len(b["spend"]) <= 64 \
                    or not isinstance(b.get("currency"), str) or \
                    not 1 <= len(b["currency"]) <= 16 or ("day" in b and not meta_day(b["day"])):
                rec["problems"].append("control_body")
                self.meta_send(rec, 400, {"error": 'the body is {"spend": "12.34", "currency": '
                                          '"USD", "day"?: "YYYY-MM-DD"}'})
                return
            with META.lock:
                o = META.objects.get(spend.group(1))
                if o is not None and o["type"] == "campaign":
                    META.spend[(o["id"], b.get("day"))] = (b["spend"], b["currency"])
            if o is None or o["type"] != "campaign":
                rec["problems"].append("unknown_object")
                self.meta_send(rec, 404, {"error": "no campaign " + spend.group(1)})
                return
            rec["insights"] = {"campaign": o["id"], "day": b.get("day"), "spend": b["spend"]}
            self.meta_send(rec, 200, {"campaign": o["id"], "day": b.get("day"),
                                      "spend": b["spend"], "currency": b["currency"]})

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
