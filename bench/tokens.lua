-- wrk script: POST /webhooks/wix, each request a DIFFERENT pre-signed token.
-- Usage: wrk -t T -c C -d D -s bench/tokens.lua http://127.0.0.1:P -- TOKENS_PREFIX
-- Thread i walks TOKENS_PREFIX.<i>.txt (bench/gen_tokens.py --split T). If a thread runs out it
-- wraps around and the summary says so (only acceptable for verify-only: no store, no dedupe).
local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local prefix = args[1]
  tokens = {}
  for line in io.lines(prefix .. "." .. id .. ".txt") do
    if #line > 0 then tokens[#tokens + 1] = line end
  end
  sent = 0
  wrapped = 0
  headers = { ["Content-Type"] = "text/plain" }
end

function request()
  sent = sent + 1
  local i = sent
  if i > #tokens then
    wrapped = 1
    i = ((i - 1) % #tokens) + 1
  end
  return wrk.format("POST", "/webhooks/wix", headers, tokens[i])
end

function done(summary, latency, requests)
  local sent, wrapped, available = 0, 0, 0
  for _, t in ipairs(threads) do
    sent = sent + t:get("sent")
    wrapped = wrapped + t:get("wrapped")
    available = available + #t:get("tokens")
  end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "non2xx": %d, "connect": %d, "read": %d, "write": %d, '
    .. '"timeout": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f, '
    .. '"sent": %d, "tokens": %d, "wrapped_threads": %d}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    sent, available, wrapped))
end
