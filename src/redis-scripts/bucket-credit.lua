--[[
  lua-buckets: the second step of a split, on one bucket: adds its share of the free places, once,
  and only in the generation that sealed it, on the server it was sealed on.

  KEYS[1]  terms hash (see bucket-issue.lua)
  ARGV[1]  generation, ARGV[2] its owner
  ARGV[3]  places to add

  Returns (names in replies.ts, Credit): 1 CREDITED; 2 SUPERSEDED, the bucket is of another
  generation (a newer split, or Redis lost the seal); 3 ALREADY, credited before; 4 UNVERIFIED,
  the server restarted or failed over since the seal.
]]
local s = redis.call('HMGET', KEYS[1], 'gen', 'owner', 'credited', 'run')
if s[1] ~= ARGV[1] or s[2] ~= ARGV[2] then return 2 end
if not string.find(redis.call('INFO', 'server'), 'run_id:' .. s[4], 1, true) then return 4 end
if s[3] == s[1] then return 3 end
redis.call('HINCRBY', KEYS[1], 'share', ARGV[3])
redis.call('HINCRBY', KEYS[1], 'ver', 1)
redis.call('HSET', KEYS[1], 'credited', ARGV[1])
return 1
