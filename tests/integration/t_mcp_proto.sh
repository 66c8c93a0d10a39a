#!/bin/bash
# bosctl mcp over raw stdio (docs/MCP.md "Server"), driven by python3 against
# a dev vault: initialize with each supported protocol version and with an
# unsupported one; tools/list; malformed JSON, a 2 MiB line, an unknown
# method, wrong params, a batch, a request before initialize, notifications
# and client responses (never answered: the next request's answer is the
# next line); standard input closed mid-line and mid-call (exit 0, every
# line written is one whole JSON message) and standard output closed (exit
# 1); tools/call without a session (an isError result sending the admin to
# 'bosctl login'), after a login in another process (picked up by the same
# server) and after a logout (isError again). No session token shows on the
# server's output or its log.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_api.sh"

PY=/usr/bin/python3
PW='correct horse battery staple'
for tool in oathtool jq "$PY"; do
	command -v "$tool" >/dev/null || { notok "$tool is installed"; finish; }
done

api_up "$T/s" || { notok "the dev vault starts"; finish; }
ok "the dev vault starts"
export XDG_RUNTIME_DIR=$T/run HOME=$T/home BOS_ADDR=$URL BOS_CACERT=$S/tls/cert.pem
unset BOS_STATE_DIR BOS_SOCKET BOS_TOKEN
mkdir -p -m 700 "$XDG_RUNTIME_DIR" "$HOME"
ans=$(printf '%s\n' "$PW" | "$BOSCTL" admin create alice --socket "$S/vault.sock" --json 2>/dev/null)
MCP_TOTP_SECRET=$(jq -r '.totp_secret // empty' <<<"$ans")
check "admin alice created (no session yet)" test -n "$MCP_TOTP_SECRET" || finish
check "no session file before the login" test ! -e "$XDG_RUNTIME_DIR/bos/session"

"$BOSCTL" mcp --help >"$T/help.out" 2>&1; rc=$?
check "bosctl mcp --help exits 0" test "$rc" -eq 0
check "  and shows how to add it to Claude Code" \
	grep -qF 'claude mcp add --scope project bos' "$T/help.out"
"$BOSCTL" mcp extra </dev/null >/dev/null 2>&1; rc=$?
check "bosctl mcp with an argument is a usage error (exit 2)" test "$rc" -eq 2
"$BOSCTL" --token-file /dev/null mcp </dev/null >/dev/null 2>&1; rc=$?
check "bosctl mcp refuses a helper token (exit 2)" test "$rc" -eq 2

export MCP_TOTP_SECRET MCP_PW=$PW MCP_BOSCTL=$BOSCTL MCP_LOGDIR=$T
"$PY" - <<'PYEOF' || _fails=$((_fails + 1))
import json, os, select, subprocess, sys, time

BOSCTL = os.environ["MCP_BOSCTL"]
LOGDIR = os.environ["MCP_LOGDIR"]
fails = 0
nproc = 0
servers = []


def report(ok, desc, extra=""):
    global fails
    print(("ok - " if ok else "not ok - ") + desc)
    if not ok:
        fails += 1
        if extra:
            print("    " + extra[:600].replace("\n", "\n    "))
    sys.stdout.flush()
    return ok


class Server:
    """One bosctl mcp process; every line it writes must be one JSON object."""

    def __init__(self):
        global nproc
        nproc += 1
        self.errpath = "%s/mcp-%d.err" % (LOGDIR, nproc)
        self.err = open(self.errpath, "wb")
        self.p = subprocess.Popen([BOSCTL, "mcp"], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=self.err)
        self.buf = b""
        self.raw = b""       # everything read from stdout
        self.bad = []        # lines that were not one JSON object
        servers.append(self)

    def send_raw(self, data):
        self.p.stdin.write(data)
        self.p.stdin.flush()

    def send(self, msg):
        self.send_raw(json.dumps(msg).encode() + b"\n")

    def req(self, id_, method, params=None):
        m = {"jsonrpc": "2.0", "id": id_, "method": method}
        if params is not None:
            m["params"] = params
        self.send(m)

    def _line(self, timeout):
        end = time.time() + timeout
        fd = self.p.stdout.fileno()
        while b"\n" not in self.buf:
            left = end - time.time()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return None
            self.buf += chunk
            self.raw += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line

    def recv(self, timeout=30):
        line = self._line(timeout)
        if line is None:
            return None
        try:
            m = json.loads(line)
            if not isinstance(m, dict):
                raise ValueError
            return m
        except ValueError:
            self.bad.append(line[:200])
            return {"unparsable": True}

    def silent(self, timeout=0.5):
        """True when nothing more arrives within timeout."""
        return self._line(timeout) is None

    def init(self, version="2025-11-25"):
        self.req(1, "initialize", {"protocolVersion": version, "capabilities": {},
                                   "clientInfo": {"name": "t_mcp_proto", "version": "1"}})
        a = self.recv()
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        return a

    def close(self, timeout=30):
        """Close stdin; the exit status and the rest of stdout."""
        self.p.stdin.close()
        try:
            rc = self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            rc = "timeout"
        rest = self.p.stdout.read()
        self.raw += rest
        self.buf += rest
        self.err.close()
        return rc

    def rest_lines(self):
        """The lines still unread after close(): each must parse, the last end in a newline."""
        out = []
        if self.buf and not self.buf.endswith(b"\n"):
            self.bad.append(b"(unfinished line) " + self.buf[-100:])
        for line in self.buf.split(b"\n")[:-1]:
            try:
                out.append(json.loads(line))
            except ValueError:
                self.bad.append(line[:200])
        return out


def err_of(a):
    return (a or {}).get("error") or {}


def result_of(a):
    return (a or {}).get("result") or {}


def tool_text(a):
    c = result_of(a).get("content") or [{}]
    return c[0].get("text", "")


# ---- initialize and versions ----
for want, expect in (("2025-11-25", "2025-11-25"), ("2025-06-18", "2025-06-18"),
                     ("2024-11-05", "2025-11-25")):
    s = Server()
    a = s.init(want)
    r = result_of(a)
    report(a is not None and a.get("id") == 1 and r.get("protocolVersion") == expect,
           "initialize %s answers protocolVersion %s" % (want, expect), repr(a))
    if want == "2025-11-25":
        report(r.get("serverInfo", {}).get("name") == "bos" and
               isinstance(r.get("serverInfo", {}).get("version"), str),
               "  serverInfo {name: bos, version}", repr(r.get("serverInfo")))
        report(r.get("capabilities") == {"tools": {"listChanged": False}},
               "  capabilities {tools: {listChanged: false}}", repr(r.get("capabilities")))
        ins = r.get("instructions", "")
        report("bosctl login NAME" in ins and "never" in ins and "bosctl approve" in ins,
               "  instructions: metadata only, approvals in the terminal, login", ins)
    rc = s.close()
    report(rc == 0 and not s.bad, "  exit 0 at the end of input, only JSON lines", repr((rc, s.bad)))

# ---- one server through the protocol's corners ----
s = Server()
s.req(1, "tools/list")
a = s.recv()
report(err_of(a).get("code") == -32600 and "initialize" in err_of(a).get("message", "") and
       a.get("id") == 1, "tools/list before initialize: -32600 'send initialize first'", repr(a))
s.req(2, "tools/call", {"name": "status", "arguments": {}})
a = s.recv()
report(err_of(a).get("code") == -32600 and a.get("id") == 2,
       "tools/call before initialize: -32600", repr(a))
s.req("p", "ping")
a = s.recv()
report(a == {"jsonrpc": "2.0", "id": "p", "result": {}}, "ping before initialize: {}", repr(a))
a = s.init()
report(result_of(a).get("protocolVersion") == "2025-11-25", "initialize", repr(a))

s.send({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 9}})
s.send({"jsonrpc": "2.0", "method": "no/such/notification"})
s.send({"jsonrpc": "2.0", "id": 77, "result": {"roots": []}})
s.send({"jsonrpc": "2.0", "id": 78, "error": {"code": -1, "message": "x"}})
s.req(10, "ping")
a = s.recv()
report(a is not None and a.get("id") == 10,
       "notifications and client responses are not answered: the next line answers ping 10",
       repr(a))

s.req(11, "tools/list")
a = s.recv()
tools = result_of(a).get("tools") or []
names = [t.get("name") for t in tools]
report(a is not None and a.get("id") == 11 and len(tools) >= 1, "tools/list lists tools", repr(a)[:300])
report(all(isinstance(t.get("name"), str) and isinstance(t.get("description"), str) and
           (t.get("inputSchema") or {}).get("type") == "object" for t in tools),
       "  each tool has a name, a description and an inputSchema of type object")
report(all("readOnlyHint" in (t.get("annotations") or {}) for t in tools),
       "  each tool has annotations.readOnlyHint")
report("nextCursor" not in result_of(a), "  no pagination cursor")
# The call target: the placeholder table's ping_vault, or the real table's
# status (docs/MCP.md "Tools"); both read-only and without required arguments.
TOOL = "ping_vault" if "ping_vault" in names else "status"
report(TOOL in names, "  lists %s, the tool this test calls" % TOOL, repr(names))

s.send_raw(b'{"jsonrpc":"2.0","id":12,"method":"ping"\n')
a = s.recv()
report(err_of(a).get("code") == -32700 and a.get("id") is None and "id" in a,
       "malformed JSON: -32700 with id null", repr(a))
s.send_raw(b"\x00\xff\xfe garbage\n")
a = s.recv()
report(err_of(a).get("code") == -32700, "binary garbage: -32700", repr(a))

s.send_raw(b'{"jsonrpc":"2.0","id":13,"method":"ping","pad":"' + b"x" * (2 * 1024 * 1024) + b'"}\n')
a = s.recv()
report(err_of(a).get("code") == -32600 and a.get("id") is None and
       "message too large (limit 1048576 bytes)" in err_of(a).get("message", ""),
       "a 2 MiB line: -32600 'message too large (limit 1048576 bytes)', id null", repr(a))
s.req(14, "ping")
a = s.recv()
report(a is not None and a.get("id") == 14 and "result" in a,
       "  the next request after it is answered", repr(a))

s.send_raw(b'{"jsonrpc":"2.0","id":15,"method":"ping"}\r\n')
a = s.recv()
report(a is not None and a.get("id") == 15 and "result" in a, "a line ending in \\r\\n is answered",
       repr(a))

s.req(16, "resources/list")
a = s.recv()
report(err_of(a).get("code") == -32601 and a.get("id") == 16, "unknown method: -32601", repr(a))

for i, (params, what) in enumerate((
        ({"name": "no_such_tool", "arguments": {}}, "an unknown tool"),
        ({"name": TOOL, "arguments": [1]}, "arguments that are an array"),
        ({"name": TOOL, "arguments": "x"}, "arguments that are a string"),
        ({"arguments": {}}, "no tool name"),
        ([1, 2], "params that are an array"))):
    s.req(20 + i, "tools/call", params)
    a = s.recv()
    report(err_of(a).get("code") == -32602 and a.get("id") == 20 + i,
           "tools/call with %s: -32602" % what, repr(a))
s.req(30, "initialize", {})
a = s.recv()
report(err_of(a).get("code") == -32602, "initialize without protocolVersion: -32602", repr(a))
s.req(31, "tools/call", {"name": TOOL, "arguments": {"no_such_argument": "x"}})
a = s.recv()
report(result_of(a).get("isError") is True and "'no_such_argument'" in tool_text(a) and
       "structuredContent" not in result_of(a),
       "tools/call with an argument the schema lacks: isError naming the field", repr(a))

for raw, what, want_id in (
        (b'[{"jsonrpc":"2.0","id":40,"method":"ping"}]', "a batch", None),
        (b'[]', "an empty batch", None),
        (b'{"jsonrpc":"1.0","id":41,"method":"ping"}', "jsonrpc 1.0", 41),
        (b'{"id":42,"method":"ping"}', "no jsonrpc member", 42),
        (b'{"jsonrpc":"2.0","id":4.5,"method":"ping"}', "a real id", None),
        (b'{"jsonrpc":"2.0","id":null,"method":"ping"}', "a null id", None),
        (b'{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}', "an object id", None),
        (b'{"jsonrpc":"2.0","id":43,"method":7}', "a method that is not a string", 43),
        (b'{"jsonrpc":"2.0","id":44,"method":"ping","params":3}', "params that are a number", 44),
        (b'"ping"', "a string", None)):
    s.send_raw(raw + b"\n")
    a = s.recv()
    report(err_of(a).get("code") == -32600 and a.get("id") == want_id and "id" in a,
           "%s: -32600 with id %s" % (what, want_id), repr(a))
s.req(45, "ping")
a = s.recv()
report(a is not None and a.get("id") == 45, "the server still answers after all that", repr(a))
rc = s.close()
report(rc == 0 and not s.bad and not s.rest_lines(),
       "exit 0 at the end of input; every line was one JSON object", repr((rc, s.bad)))
report(s.silent(0.1), "  nothing after the last answer")

# ---- standard input closed mid-line and mid-call ----
s = Server()
s.init()
s.req(2, "ping")
s.send_raw(b'{"jsonrpc":"2.0","id":3,"method":"pi')
rc = s.close()
lines = s.rest_lines()
report(rc == 0, "stdin closed mid-line: exit 0", repr(rc))
report(not s.bad and [m.get("id") for m in lines] == [2],
       "  the messages read before were answered, the unfinished one was not; whole lines only",
       repr((s.bad, lines)))

# ---- standard output closed: a write error, exit 1 (SIGPIPE ignored) ----
s = Server()
s.p.stdout.close()
try:
    s.req(1, "ping")
    s.req(2, "ping")
except BrokenPipeError:
    pass
try:
    rc = s.p.wait(30)
except subprocess.TimeoutExpired:
    s.p.kill()
    rc = "timeout"
s.err.close()
report(rc == 1, "stdout closed by the client: exit 1 (not killed by SIGPIPE)", repr(rc))

# ---- the session: none, a login in a terminal, a logout ----
def call_ping(s, id_):
    s.req(id_, "tools/call", {"name": TOOL, "arguments": {}})
    return s.recv(60)


def call_ok(a):
    """A successful tool result: structuredContent an object, the text its JSON."""
    r = result_of(a)
    sc = r.get("structuredContent")
    try:
        same = json.loads(tool_text(a)) == sc
    except ValueError:
        same = False
    if TOOL == "ping_vault" and sc != {"status": "ok"}:
        return False
    return r.get("isError") is False and isinstance(sc, dict) and same


def bosctl(args, stdin=""):
    return subprocess.run([BOSCTL] + args, input=stdin.encode(), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=60)


s = Server()
s.init()
a = call_ping(s, 2)
r = result_of(a)
report(r.get("isError") is True and "bosctl login" in tool_text(a) and "structuredContent" not in r,
       "tools/call without a session: isError telling to run 'bosctl login NAME'", repr(a))
report("password" not in tool_text(a).replace("never ask for a password", ""),
       "  the message does not ask for a password", tool_text(a))

code = subprocess.run(["oathtool", "--totp", "-b", os.environ["MCP_TOTP_SECRET"]],
                      stdout=subprocess.PIPE, text=True).stdout.strip()
li = bosctl(["login", "alice"], "%s\n%s\n" % (os.environ["MCP_PW"], code))
report(li.returncode == 0, "bosctl login alice (password + TOTP from oathtool) in another process",
       li.stderr.decode())
a = call_ping(s, 3)
r = result_of(a)
report(r.get("isError") is False and call_ok(a),
       "the same server picks up the login: %s answers with structuredContent" % TOOL, repr(a))
# The first server is still up; another one is closed while its call runs.
s2 = s
s = Server()
s.init()
s.req(2, "tools/call", {"name": TOOL, "arguments": {}})
rc = s.close()
lines = s.rest_lines()
report(rc == 0, "stdin closed during a tools/call (signed in, the call goes to the vault): exit 0", repr(rc))
report(not s.bad and [m.get("id") for m in lines] == [2] and
       call_ok(lines[-1]),
       "  the call was answered before the exit; whole lines only", repr((s.bad, lines)))

s = s2
lo = bosctl(["logout"])
report(lo.returncode == 0, "bosctl logout", lo.stderr.decode())
a = call_ping(s, 4)
r = result_of(a)
report(r.get("isError") is True and "bosctl login" in tool_text(a),
       "after the logout tools/call is isError again", repr(a))
s.req(5, "tools/list")
a = s.recv()
report(len(result_of(a).get("tools") or []) >= 1, "  tools/list needs no session", repr(a)[:200])
rc = s.close()
report(rc == 0 and not s.bad, "exit 0", repr((rc, s.bad)))

# ---- nothing secret on the server's output or its logs ----
leak = [p for p in os.listdir(LOGDIR) if p.startswith("mcp-") and p.endswith(".err") and
        b"bos_s_" in open(os.path.join(LOGDIR, p), "rb").read()]
report(not leak, "no session token in any server's log", repr(leak))
report(all(b"bos_s_" not in x.raw for x in servers), "no session token on any server's output")
sys.exit(1 if fails else 0)
PYEOF
finish
