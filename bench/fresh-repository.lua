-- wrk script: GETs as in bench/get.lua (whose headers and result line it takes), but each
-- request's path names a repository that no request named before, so that every decision
-- crgate makes for it is a decision cache miss. The path is BENCH_PATH_BEFORE, then
-- "<thread>-<n>", then BENCH_PATH_AFTER: the driver puts a number of its own for the run into
-- BENCH_PATH_BEFORE, and each thread counts its requests. wrk finds get.lua through LUA_PATH.
require("get")

-- Runs in wrk's main Lua state, once for each thread before the thread starts.
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

local before = os.getenv("BENCH_PATH_BEFORE")
local after = os.getenv("BENCH_PATH_AFTER")
local sent = 0
function request()
  sent = sent + 1
  return wrk.format(nil, before .. thread_number .. "-" .. sent .. after)
end
