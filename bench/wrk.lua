-- make bench: wrk script for the vault's loads (bench/run.sh sets the environment).
--   BENCH_MODE=read   GET BENCH_PATH with "Authorization: Bearer <BENCH_TOKEN_FILE>"
--   BENCH_MODE=write  POST /credentials, a new name per request: BENCH_PREFIX, the
--                     thread's number and a per-thread counter (math.random repeats
--                     across wrk threads, so it is not used)
--   BENCH_MODE=login  POST /auth/login with the JSON body in BENCH_BODY_FILE
-- done() prints one line "BENCHJSON {...}" with the counts run.sh checks: any
-- socket error or non-2xx answer makes the run fail instead of giving a rate.

local mode = os.getenv("BENCH_MODE") or "read"

local function slurp(path)
	local f = assert(io.open(path, "r"), "cannot open " .. tostring(path))
	local s = f:read("*a")
	f:close()
	return s
end

local function token()
	return (slurp(os.getenv("BENCH_TOKEN_FILE")):gsub("%s+$", ""))
end

local tid_next = 1
function setup(thread)
	thread:set("tid", tid_next)
	tid_next = tid_next + 1
end

local counter = 0
local prefix = os.getenv("BENCH_PREFIX") or "b"

if mode == "read" then
	wrk.method = "GET"
	wrk.path = os.getenv("BENCH_PATH")
	wrk.headers["Authorization"] = "Bearer " .. token()
elseif mode == "write" then
	wrk.method = "POST"
	wrk.path = "/credentials"
	wrk.headers["Authorization"] = "Bearer " .. token()
	wrk.headers["Content-Type"] = "application/json"
	request = function()
		counter = counter + 1
		local body = string.format(
			'{"name":"%s.t%d.n%d","type":"api_key","service":"bench",' ..
			'"secret":"bench-secret-%s-%d-%d-abcdefghijklmnop"}',
			prefix, tid, counter, prefix, tid, counter)
		return wrk.format(nil, nil, nil, body)
	end
elseif mode == "login" then
	wrk.method = "POST"
	wrk.path = "/auth/login"
	wrk.headers["Content-Type"] = "application/json"
	wrk.body = slurp(os.getenv("BENCH_BODY_FILE"))
else
	error("unknown BENCH_MODE " .. mode)
end

function done(summary, latency, requests)
	local e = summary.errors
	local secs = summary.duration / 1e6
	io.write(string.format('BENCHJSON {"requests":%d,"seconds":%.3f,"rate":%.1f,' ..
		'"connect_errors":%d,"read_errors":%d,"write_errors":%d,"non2xx":%d,' ..
		'"timeouts":%d,"p50_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f}\n',
		summary.requests, secs, summary.requests / secs, e.connect, e.read, e.write,
		e.status, e.timeout, latency:percentile(50) / 1e3, latency:percentile(99) / 1e3,
		latency.max / 1e3))
end
