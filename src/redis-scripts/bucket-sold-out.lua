--[[
  lua-buckets: marks a bucket sold out once every bucket was read empty twice with nothing between
  (no credit, no split: the generation and ver of each the same both times), so that the requests
  that follow are answered at their home bucket in one call. Only if the bucket is still as it was
  read. The mark is of the generation: a split (the only way places come back once every bucket
  is empty) starts a new one, and the mark means nothing there.

  KEYS[1]  terms hash (see bucket-issue.lua)
  KEYS[2]  requests set
  ARGV[1]  generation, ARGV[2] ver, as read

  Returns 1 if marked, 0 if the bucket changed since.
]]
local s = redis.call('HMGET', KEYS[1], 'gen', 'ver', 'credited', 'share')
if s[1] ~= ARGV[1] or s[2] ~= ARGV[2] or s[3] ~= s[1] then return 0 end
if tonumber(s[4]) - redis.call('SCARD', KEYS[2]) > 0 then return 0 end
redis.call('HSET', KEYS[1], 'soldout', s[1])
return 1
