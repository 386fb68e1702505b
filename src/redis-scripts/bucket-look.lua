--[[
  lua-buckets: one bucket's state, read at once, for a request whose home bucket is empty: where a
  place may be taken from, whether places are on their way between buckets, and, read twice over
  every bucket, whether the coupon is sold out. Deletes the records of transfers of an older
  generation: the split that replaced it counted their places.

  KEYS[1]  terms hash (see bucket-issue.lua)
  KEYS[2]  requests set
  KEYS[3]  transfers hash: id -> "to places gen at", places sent to another bucket and not yet
           known to have arrived

  Returns { state, gen, ver, free, soldOut, sealedAt, then for each transfer of this generation:
  id, to, places, at }. state (names in replies.ts, BucketState): 0 ACTIVE, 5 TERMS_MISSING,
  6 UNVERIFIED, 7 SEALED (a split is under way); only ACTIVE comes with the rest.
]]
local t = redis.call('HMGET', KEYS[1], 'total', 'run', 'gen', 'credited', 'share', 'ver', 'soldout', 'sealedAt')
if not t[1] then return {5} end
if not t[2] or not string.find(redis.call('INFO', 'server'), 'run_id:' .. t[2], 1, true) then return {6} end
local gen = t[3]
if t[4] ~= gen then return {7, tonumber(gen), 0, 0, 0, tonumber(t[8]) or 0} end

local free = tonumber(t[5]) - redis.call('SCARD', KEYS[2])
local reply = {0, tonumber(gen), tonumber(t[6]), free, t[7] == gen and 1 or 0, tonumber(t[8]) or 0}
local records = redis.call('HGETALL', KEYS[3])
for i = 1, #records, 2 do
  local to, places, of, at = string.match(records[i + 1], '^(%d+) (%d+) (%d+) (%d+)$')
  if of == gen then
    table.insert(reply, records[i])
    table.insert(reply, tonumber(to))
    table.insert(reply, tonumber(places))
    table.insert(reply, tonumber(at))
  else
    redis.call('HDEL', KEYS[3], records[i])
  end
end
return reply
