#!/usr/bin/python3
"""make bench, outreach (docs/PERFORMANCE.md "Outreach"): the plain clients and the
event batches bench/run.sh needs. Python's standard library only (Debian's python3).

  smtp CAFILE HOST PORT USER PASSFILE EMLFILE N
      send the message in EMLFILE N times in a row to the SMTP sink, each on a new
      connection with STARTTLS and AUTH (as bos-broker does: one libcurl handle per send)
  sendgrid CAFILE URL KEYFILE SENTJSONL N
      POST /v3/mail/send N times in a row, each on a new TLS connection, a body of the
      shape and size bos-broker sends (recipients and custom_args from the stub's log)
  sgbody SENTJSONL OUTFILE
      one such body, for curl (bench/run.sh sends it with libcurl, as bos-broker does)
  events SENTJSONL OUTDIR BATCHES PER_BATCH PREFIX
      OUTDIR/sgNNNN.json: SendGrid event batches (unique sg_event_id PREFIX-sg-N) for the
      messages in SENTJSONL; OUTDIR/vtNNNN.json: the same events (ids PREFIX-vt-N) as
      bodies of the vault's POST /outreach/events {provider: "sendgrid", events}
Each sending mode prints one JSON line {n, seconds} on success and exits 1 at the first
refusal (a rate made of errors is no rate).
"""
import http.client
import json
import os
import smtplib
import ssl
import sys
import time


def smtp(cafile, host, port, user, passfile, eml, n):
    ctx = ssl.create_default_context(cafile=cafile)
    raw = open(eml, "rb").read()
    pw = open(passfile).read().rstrip("\n")
    t0 = time.monotonic()
    for i in range(n):
        with smtplib.SMTP(host, int(port), local_hostname="bench.example", timeout=30) as s:
            s.starttls(context=ctx)
            s.login(user, pw)
            refused = s.sendmail("bench@bench.example", ["rcpt%05d@bench.example" % i], raw)
            if refused:
                sys.exit("smtp: refused %r" % refused)
    return n, time.monotonic() - t0


def sg_body(row, i):
    text = TEXT.replace("{{name}}", "Advisor %d" % i)
    html = HTML.replace("{{name}}", "Advisor %d" % i)
    unsub = "https://bos.example.test/u/" + row["custom_args"]["bos_token"]
    footer = "\n\n--\nUnsubscribe: %s\nAcme Corp, 1 Main Street, Springfield 12345\n" % unsub
    return json.dumps({
        "personalizations": [{"to": [{"email": "plain%05d@bench.example" % i}],
                              "custom_args": row["custom_args"],
                              "headers": {"List-Unsubscribe": "<%s>" % unsub,
                                          "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}}],
        "from": {"email": "sales@acme.example", "name": "Acme Sales"},
        "subject": "Hello Advisor %d, a word about our product" % i,
        "content": [{"type": "text/plain", "value": text + footer},
                    {"type": "text/html", "value": html.replace(
                        "</body>", '<p><a href="%s">Unsubscribe</a><br>Acme Corp, 1 Main '
                        'Street, Springfield 12345</p></body>' % unsub)}]}).encode()


def sendgrid(cafile, url, keyfile, sent, n):
    ctx = ssl.create_default_context(cafile=cafile)
    host, port = url.split("//", 1)[1].rsplit(":", 1)
    key = open(keyfile).read().strip()
    rows = [json.loads(line)["sent"] for line in open(sent)]
    bodies = [sg_body(rows[i % len(rows)], i) for i in range(n)]
    t0 = time.monotonic()
    for b in bodies:
        c = http.client.HTTPSConnection(host, int(port), context=ctx, timeout=30)
        c.request("POST", "/v3/mail/send", body=b, headers={
            "Authorization": "Bearer " + key, "Content-Type": "application/json"})
        r = c.getresponse()
        r.read()
        c.close()
        if r.status != 202:
            sys.exit("sendgrid: HTTP %d" % r.status)
    return n, time.monotonic() - t0


KINDS = (("delivered", "delivered"), ("open", "opened"), ("click", "clicked"))


def events(sent, outdir, batches, per, prefix):
    rows = [json.loads(line)["sent"] for line in open(sent)]
    now = int(time.time()) - 5
    k = 0
    for b in range(batches):
        sg, vt = [], []
        for _ in range(per):
            r = rows[k % len(rows)]
            sgk, vk = KINDS[(k // len(rows)) % len(KINDS)]
            ca = r["custom_args"]
            e = {"email": r["to"], "timestamp": now, "event": sgk,
                 "sg_event_id": "%s-sg-%07d" % (prefix, k), "sg_message_id": "bench.filter0001",
                 "bos_message": ca["bos_message"], "bos_token": ca["bos_token"]}
            v = {"id": "%s-vt-%07d" % (prefix, k), "kind": vk, "at": now,
                 "message": ca["bos_message"], "token": ca["bos_token"]}
            if sgk == "click":
                e["url"] = v["url"] = "https://acme.example/product"
            sg.append(e)
            vt.append(v)
            k += 1
        with open(os.path.join(outdir, "sg%04d.json" % b), "w") as f:
            json.dump(sg, f, separators=(",", ":"))
        with open(os.path.join(outdir, "vt%04d.json" % b), "w") as f:
            json.dump({"provider": "sendgrid", "events": vt}, f, separators=(",", ":"))


# The campaign's templates (bench/run.sh posts the same ones).
TEXT = ("Dear {{name}},\n\n" + "We help financial advisors serve their clients better. " * 16 +
        "\n\nBest regards,\nAcme Sales\n")
HTML = ("<html><body><p>Dear {{name}},</p><p>" +
        "We help financial advisors serve their clients better. " * 16 +
        '</p><p><a href="https://acme.example/product">our product</a></p>'
        "<p>Best regards,<br>Acme Sales</p></body></html>")


def main():
    a = sys.argv[1:]
    if a[:1] == ["templates"]:
        print(json.dumps({"text": TEXT, "html": HTML}))
        return
    if a[:1] == ["sgbody"] and len(a) == 3:
        row = json.loads(open(a[1]).readline())["sent"]
        open(a[2], "wb").write(sg_body(row, 0))
        return
    if a[:1] == ["events"] and len(a) == 6:
        events(a[1], a[2], int(a[3]), int(a[4]), a[5])
        return
    if a[:1] == ["smtp"] and len(a) == 8:
        n, s = smtp(*a[1:7], int(a[7]))
    elif a[:1] == ["sendgrid"] and len(a) == 6:
        n, s = sendgrid(*a[1:5], int(a[5]))
    else:
        sys.exit(__doc__)
    print(json.dumps({"n": n, "seconds": round(s, 3)}))


if __name__ == "__main__":
    main()
