-- wrk script for bench/ingest.py: POST reports, each request a new reporter (User-Agent),
-- bodies cycling over valid (service, problem, country) triples; counts response statuses.
local threads = {}

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
end

function request()
  counter = counter + 1
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
