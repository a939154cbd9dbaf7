-- wrk script for bench_survey.py's overload step: every request a POST of the real answer form
-- with a fresh one-time code. Each thread takes its share of the codes file and stops once
-- every one of them has an answer, so that nothing is in flight when the counts are read.
--   wrk -t 1 -c C -d MAXs -s survey_overload.lua URL -- CODES COOKIE TOKEN STAMP D1 D2 1 DONE
-- Once every code has its answer the thread stops and writes the file DONE: wrk itself sleeps
-- out its -d, so the caller interrupts it then (its idle connections would hold the workers).
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function init(args)
  local path, cookie, token, stamp, d1, d2 = args[1], args[2], args[3], args[4], args[5], args[6]
  local step = tonumber(args[7])
  marker = args[8]
  codes = {}
  local i = 0
  for line in io.lines(path) do
    if i % step == id - 1 then codes[#codes + 1] = line end
    i = i + 1
  end
  headers = {
    ["Cookie"] = "csrftoken=" .. cookie,
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Accept-Language"] = "zh-hans",
  }
  body = "csrfmiddlewaretoken=" .. token .. "&shown=" .. stamp .. "&rating." .. d1 .. "=4"
    .. "&rating." .. d2 .. "=3&rating%23" .. d1 .. "=&rating%23" .. d2 .. "=&channel=1"
    .. "&topics=2&advice="
  issued, answered, stored, refused, lost, first, last = 0, 0, 0, 0, 0, 0, 0
  other = {}
end

local FILLER = "/static/kaohe/no-such-file.txt"
local verified = false

function request()
  if not verified then
    -- wrk calls request() once before the run to check the script (the request is not
    -- sent): give it the uncounted page, so that no code is taken and left unsent
    verified = true
    return wrk.format("GET", FILLER)
  end
  if issued >= #codes then
    -- nothing left to send on this connection: a cheap 404, never counted (a submission is
    -- never answered 404: every code sent exists)
    return wrk.format("GET", FILLER)
  end
  issued = issued + 1
  if first == 0 then first = os.clock() end
  return wrk.format("POST", "/s/c/" .. codes[issued] .. "/", headers, body)
end

function response(status, hdrs, body)
  if status == 404 then return end  -- the answer to an uncounted page
  answered = answered + 1
  if status == 302 then
    stored = stored + 1
  elseif (status == 429 or status == 503) and hdrs["Retry-After"] then
    refused = refused + 1
  else
    lost = lost + 1
    other[tostring(status)] = (other[tostring(status)] or 0) + 1
  end
  if answered >= #codes then
    local f = io.open(marker, "w")
    f:write("done\n")
    f:close()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local s, r, l, sent, got = 0, 0, 0, 0, 0
  local statuses = {}
  for _, t in ipairs(threads) do
    s = s + t:get("stored")
    r = r + t:get("refused")
    l = l + t:get("lost")
    sent = sent + t:get("issued")
    got = got + t:get("answered")
  end
  local e = summary.errors
  io.write(string.format(
    '{"sent": %d, "answered": %d, "stored": %d, "refused": %d, "lost": %d, '
    .. '"socket_errors": %d, "seconds": %.3f, "requests": %d, "p99_ms": %.1f}\n',
    sent, got, s, r, l, e.connect + e.read + e.write + e.timeout,
    summary.duration / 1e6, summary.requests, latency:percentile(99) / 1000))
end
