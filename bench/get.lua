-- wrk script: GETs of one path (a manifest, or crgate's /token). Host, Accept and
-- Authorization come from the environment so that one script serves every run: crgate answers
-- only on containers.<hostname>, and only to a bearer token or Basic credentials, which the
-- registry direct goes without. It is GET, not HEAD: wrk 4.1 waits for the body a HEAD
-- answer's Content-Length announces (wg/wrk#198).
wrk.method = "GET"
wrk.headers["Host"] = os.getenv("BENCH_HOST")
wrk.headers["Accept"] = os.getenv("BENCH_ACCEPT")
local authorization = os.getenv("BENCH_AUTHORIZATION")
if authorization ~= nil and authorization ~= "" then
  wrk.headers["Authorization"] = authorization
end

-- One machine-readable line, so the driver needs no parsing of wrk's human-readable units.
function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    "BENCH_RESULT {\"requests\":%d,\"duration_us\":%d,\"p50_us\":%d,\"p99_us\":%d," ..
      "\"non_2xx_3xx\":%d,\"socket_errors\":%d}\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    errors.status, errors.connect + errors.read + errors.write + errors.timeout))
end
