--[[
  Admits one issue request for one coupon, atomically: Redis runs the whole script before
  any other command, so no two requests can both see the last free place.
  Applies the rules of src/core/coupon.ts (checkIssue), in the same order.

  KEYS[1]  terms hash: total, start?, end? (ms since the epoch; a missing bound is open), and
           v, the coupon version they come from (written by write-terms.lua, not read here)
  KEYS[2]  requests set: user ids already admitted (seeded from MySQL when terms are loaded)
  KEYS[3]  stream the consumer writes to MySQL from
  ARGV[1]  user id
  ARGV[2]  now, ms since the epoch
  ARGV[3]  coupon id

  Returns (names in admission-script.ts):
    1 ACCEPTED        user recorded and request appended to the stream
    2 ALREADY_ISSUED  this user was admitted before
    3 SOLD_OUT        as many users admitted as the coupon has
    4 NOT_IN_WINDOW   now is outside [start, end)
    5 TERMS_MISSING   terms not in Redis yet: load them from MySQL and call again
]]
local terms = redis.call('HMGET', KEYS[1], 'total', 'start', 'end')
local total = tonumber(terms[1])
if not total then return 5 end

local now = tonumber(ARGV[2])
if terms[2] and now < tonumber(terms[2]) then return 4 end
if terms[3] and now >= tonumber(terms[3]) then return 4 end

if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then return 2 end
if redis.call('SCARD', KEYS[2]) >= total then return 3 end

redis.call('SADD', KEYS[2], ARGV[1])
redis.call('XADD', KEYS[3], '*', 'coupon', ARGV[3], 'user', ARGV[1], 'at', ARGV[2])
return 1
