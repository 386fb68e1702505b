--[[
  lua-buckets: takes half of a bucket's free places (at least one) for another bucket whose own
  ran out, and records them as on their way until that bucket is known to have them: a sender
  that dies before it credits them leaves this record, and whoever finds it completes the
  transfer (bucket-issue.lua credits a transfer once, however often it is completed).

  KEYS[1]  terms hash (see bucket-issue.lua)
  KEYS[2]  requests set
  KEYS[3]  transfers hash (see bucket-look.lua)
  ARGV[1]  transfer id
  ARGV[2]  the bucket the places go to
  ARGV[3]  the generation the taker saw at home: places are only ever moved within one split
  ARGV[4]  now, ms since the epoch

  Returns the places taken: 0 if the bucket has none free, is not of that generation, is sealed,
  or is not verified on this server.
]]
local t = redis.call('HMGET', KEYS[1], 'run', 'gen', 'credited', 'share')
if not t[1] or not string.find(redis.call('INFO', 'server'), 'run_id:' .. t[1], 1, true) then return 0 end
if t[2] ~= ARGV[3] or t[3] ~= t[2] then return 0 end
local free = tonumber(t[4]) - redis.call('SCARD', KEYS[2])
if free <= 0 then return 0 end
local places = math.ceil(free / 2)
redis.call('HINCRBY', KEYS[1], 'share', -places)
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2] .. ' ' .. places .. ' ' .. t[2] .. ' ' .. ARGV[4])
return places
