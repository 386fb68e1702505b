--[[
  lua-buckets: the first step of a split, on one bucket. A split gives the coupon's free places
  out again over its buckets: after a load (the sets rebuilt from the streams and MySQL), a
  change of the quantity, or a split left half done. Sealing keeps the bucket's taken places and
  frees the rest (share := its admitted users), and moves it to the split's generation: its
  transfers of the older one are void, since every place not taken is now counted free again
  by the split, and a credit of the older generation is refused (bucket-issue.lua). Its places
  come back with bucket-credit.lua once every bucket is sealed. A generation is a number and an
  owner: the newest wins everywhere, and two splits never share one.

  KEYS[1]  terms hash (see bucket-issue.lua)
  KEYS[2]  requests set
  KEYS[3]  transfers hash
  KEYS[4]  credited set
  KEYS[5]  stream: its consumer group is made here if missing, before any place is credited, so
           the consumer sees the first entry (made by a script, it goes to the stream's master
           on a cluster: XGROUP names no key ioredis can route by)
  ARGV[1]  mode: 'load' (the set was just rebuilt on the server of run id ARGV[8]) or 'resplit'
           (keep the set: the bucket must already be verified on this server)
  ARGV[2]  generation, ARGV[3] its owner
  ARGV[4]  coupon version the terms come from, ARGV[5] total quantity,
  ARGV[6]  start, ARGV[7] end (ms since the epoch, '' for an open bound)
  ARGV[8]  'load': the run id read as the rebuild began
  ARGV[9]  now, ms since the epoch
  ARGV[10] the consumers' group

  Returns { code, value } (names in replies.ts, Seal):
    {1, sealed}   SEALED         sealed in this generation (now or before): its taken places
    {2, gen}      SUPERSEDED     sealed in a newer generation, or this one of another owner
    {3, v}        STALE_TERMS    holds terms of a newer coupon version: read the coupon again
    {4}           RESTARTED      'load' on another server than the rebuild began on: start over
    {5}           TERMS_MISSING  'resplit' of a bucket never loaded, or lost: load instead
    {6}           UNVERIFIED     'resplit' of a bucket not rebuilt on this server: load instead
]]
local run = string.match(redis.call('INFO', 'server'), 'run_id:(%x+)')
if ARGV[1] == 'load' and run ~= ARGV[8] then return {4} end

local s = redis.call('HMGET', KEYS[1], 'gen', 'owner', 'v', 'run', 'sealed', 'ver')
if ARGV[1] == 'resplit' then
  if not s[3] then return {5} end
  if s[4] ~= run then return {6} end
end
local gen, given = tonumber(s[1]), tonumber(ARGV[2])
if gen then
  if given < gen or (given == gen and s[2] ~= ARGV[3]) then return {2, gen} end
  if given == gen then return {1, tonumber(s[5])} end
end
if s[3] and tonumber(s[3]) > tonumber(ARGV[4]) then return {3, tonumber(s[3])} end

local group = redis.pcall('XGROUP', 'CREATE', KEYS[5], ARGV[10], '0', 'MKSTREAM')
if type(group) == 'table' and group.err and not string.find(group.err, '^BUSYGROUP') then return redis.error_reply(group.err) end

local taken = redis.call('SCARD', KEYS[2])
redis.call('DEL', KEYS[1], KEYS[3], KEYS[4])
redis.call('HSET', KEYS[1], 'v', ARGV[4], 'total', ARGV[5], 'run', run, 'gen', ARGV[2], 'owner', ARGV[3],
  'share', taken, 'sealed', taken, 'sealedAt', ARGV[9], 'ver', (tonumber(s[6]) or 0) + 1)
if ARGV[6] ~= '' then redis.call('HSET', KEYS[1], 'start', ARGV[6]) end
if ARGV[7] ~= '' then redis.call('HSET', KEYS[1], 'end', ARGV[7]) end
return {1, taken}
