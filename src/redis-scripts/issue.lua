--[[
  Admits one issue request for one coupon, atomically: Redis runs the whole script before
  any other command, so no two requests can both see the last free place.
  Applies the rules of src/core/coupon.ts (checkIssue), in the same order.

  KEYS[1]  terms hash: total, start?, end? (ms since the epoch; a missing bound is open),
           run, the run id of the Redis server the requests set was last rebuilt on, and
           v, the coupon version they come from (both written by write-terms.lua)
  KEYS[2]  requests set: user ids already admitted (rebuilt from MySQL and the stream)
  KEYS[3]  stream the consumer writes to MySQL from
  ARGV[1]  user id
  ARGV[2]  now, ms since the epoch
  ARGV[3]  coupon id

  Returns (names in replies.ts, Admission):
    1 ACCEPTED        user recorded and request appended to the stream
    2 ALREADY_ISSUED  this user was admitted before (and a place is left)
    3 SOLD_OUT        as many users admitted as the coupon has, this one among them or not
    4 NOT_IN_WINDOW   now is outside [start, end)
    5 TERMS_MISSING   terms not in Redis yet: load them from MySQL and call again
    6 UNVERIFIED      this Redis server is not the one the requests set was rebuilt on: it
                      restarted or failed over, and may hold an older copy of the set (a
                      snapshot, a lagging replica). Rebuild the set and call again.
]]
local terms = redis.call('HMGET', KEYS[1], 'total', 'start', 'end', 'run')
local total = tonumber(terms[1])
if not total then return 5 end

-- A run id is new at every start of a server, so a set restored from disk or copied from a
-- primary is never trusted until it has been rebuilt from MySQL on this very server.
if not terms[4] or not string.find(redis.call('INFO', 'server'), 'run_id:' .. terms[4], 1, true) then
  return 6
end

local now = tonumber(ARGV[2])
if terms[2] and now < tonumber(terms[2]) then return 4 end
if terms[3] and now >= tonumber(terms[3]) then return 4 end

if redis.call('SCARD', KEYS[2]) >= total then return 3 end
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then return 2 end

redis.call('SADD', KEYS[2], ARGV[1])
-- total: the quantity this request was admitted against, the most rows the consumer may
-- let the coupon reach by writing it (a later raise does not widen an older admission).
redis.call('XADD', KEYS[3], '*', 'coupon', ARGV[3], 'user', ARGV[1], 'at', ARGV[2], 'total', terms[1])
return 1
