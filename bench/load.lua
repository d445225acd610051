-- Mixed load for bench/load.sh: reads and writes across GraphQL, the
-- Configure8 REST API and the Configmonkey REST API, round robin. Counts
-- answers by status class; load.sh fails the run on any 5xx.
local key = os.getenv("KEY")
local resource = os.getenv("RESOURCE_ID")
local counter = 0
local thread_id = 0
local threads = 0

-- Each thread upserts its own resources, as separate discovery agents would.
setup = function(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end

local function json(method, path, body)
  return { method = method, path = path, body = body }
end

local requests = {
  json("GET", "/public/v1/catalog/entities?pageSize=20", nil),
  json("POST", "/graphql", '{"query":"{ entities(types: [SERVICE], first: 20) { totalCount items { name ... on Service { dependencies { items { name } } environments { items { name resources { items { name provider } } } } } } } }"}'),
  json("POST", "/public/v1/query-builder", '{"schemaIdentifier":"schema-service","filter":{"and":[{"column":"metaTags.tier","operator":"eq","value":"1"},{"column":"environments.resources.provider","operator":"eq","value":"AWS"}]}}'),
  json("GET", "/v1/configs/load/value/versions?limit=5", nil),
  json("GET", "/readyz", nil),
}

local function writes(n)
  return {
    json("POST", "/v1/configs/load/value/versions", '{"value":' .. n .. '}'),
    json("POST", "/public/v1/catalog/batch/entities/resource",
      '[{"name":"pod-' .. thread_id .. '-' .. (n % 50) .. '","provider":"K8s","providerAccountId":"c1","providerResourceKey":"c1:load:Pod:' .. thread_id .. '-' .. (n % 50) ..
      '","providerResourceType":"K8s:Cluster:Pod","tags":["load"]}]'),
    json("POST", "/public/v1/costs/batch",
      '[{"catalogResourceId":"' .. resource .. '","date":"2026-01-' .. string.format("%02d", n % 28 + 1) ..
      '","operation":"TOTAL","cost":' .. (n % 100) .. '.5}]'),
  }
end

request = function()
  counter = counter + 1
  local r
  if counter % 4 == 0 then
    local w = writes(counter)
    r = w[(counter / 4) % #w + 1]
  else
    r = requests[counter % #requests + 1]
  end
  local headers = { ["Api-Key"] = key, ["Content-Type"] = "application/json" }
  return wrk.format(r.method, r.path, headers, r.body)
end

local classes = {}
response = function(status, headers, body)
  local class = math.floor(status / 100) .. "xx"
  classes[class] = (classes[class] or 0) + 1
end

done = function(summary, latency, requests)
  -- wrk runs response() in each thread; summary.errors.status counts non-2xx/3xx.
  io.write(string.format("latency p50 %.2f ms, p99 %.2f ms\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
  io.write(string.format("non-2xx/3xx answers: %d\n", summary.errors.status))
end
