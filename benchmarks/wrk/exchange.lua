-- wrk script: each request a fresh single-use client token (jti) and a person lookup.
-- Lines of the input file: "<token>\t<path>". Threads take disjoint lines (stride by thread).
local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  nthreads = tonumber(args[2])
  lines = {}
  local i = 0
  for line in io.lines(args[1]) do
    if i % nthreads == tid then
      local tab = string.find(line, "\t", 1, true)
      lines[#lines + 1] = { string.sub(line, 1, tab - 1), string.sub(line, tab + 1) }
    end
    i = i + 1
  end
  pos = 0
  headers = {
    ["X-NDC-Purpose"] = args[3],
    ["X-NDC-User-Id"] = "officer.bench",
    ["X-NDC-Case-Ref"] = "BENCH-2026",
  }
end

function request()
  pos = pos + 1
  if pos > #lines then pos = 1 end  -- wrapped: replays, refused with 401 (counted as non-2xx)
  local item = lines[pos]
  headers["Authorization"] = "Bearer " .. item[1]
  return wrk.format("GET", item[2], headers)
end
