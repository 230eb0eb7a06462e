-- wrk script for bench/ingest.py: POST reports, each request a new reporter (User-Agent),
-- bodies cycling over valid (service, problem, country) triples; counts response statuses.
-- With BENCH_PATHS (one per line) it GETs those paths in turn instead. With BENCH_DELAY_MS
-- each connection waits that long (on average) before its next request, to hold a set rate.
local threads = {}

local pace = tonumber(os.getenv("BENCH_DELAY_MS") or "")
if pace then
  -- wrk delays whole milliseconds: alternate floor and ceil to average a fractional pace.
  function delay()
    local whole = math.floor(pace)
    if math.random() < pace - whole then
      return whole + 1
    end
    return whole
  end
end

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
  counter = 0
  thread_tag = tostring(math.random(1, 1000000000))
  bodies = {}
  for body in string.gmatch(os.getenv("BENCH_BODIES") or "", "[^\n]+") do
    table.insert(bodies, body)
  end
  paths = {}
  for path in string.gmatch(os.getenv("BENCH_PATHS") or "", "[^\n]+") do
    table.insert(paths, path)
  end
end

function request()
  counter = counter + 1
  if #paths > 0 then
    return wrk.format("GET", paths[(counter % #paths) + 1])
  end
  local body = bodies[(counter % #bodies) + 1]
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/json",
    ["User-Agent"] = "bench-" .. thread_tag .. "-" .. counter,
  }, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + n
    end
  end
  for status, n in pairs(total) do
    io.write(string.format("STATUS %d %d\n", status, n))
  end
  io.write(string.format("ERRORS %d %d %d %d\n", summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout))
  io.write(string.format("LATENCY %d %d\n", latency:percentile(50), latency:percentile(99)))
end
