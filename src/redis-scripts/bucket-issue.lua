--[[
  lua-buckets: admits one issue request at the user's home bucket, atomically, as issue.lua does
  for a whole coupon, but against the bucket's share of the places. Given a transfer, first
  credits the bucket with the places another bucket sent it (bucket-take.lua), once: the
  credited set remembers every transfer of this generation, so that a transfer completed twice
  (by its sender and by a request that found it stranded) adds its places once. Applies the
  rules of src/core/coupon.ts in the same order, with "sold out" meaning every bucket is empty,
  which only a look at every bucket can tell: this one answers it only from the mark
  bucket-sold-out.lua leaves, and otherwise says it is empty and lets the caller look.

  KEYS[1]  the bucket's terms hash: total, start?, end?, v (as issue.lua's); run, the run id of the
           server its set was rebuilt on; gen, owner, the generation of the split that sealed it;
           credited, that generation once its places were credited (absent while sealed);
           share, its places, taken or free; ver, counts the credits; soldout, a generation in
           which every bucket was seen empty
  KEYS[2]  requests set: its users admitted (the judge of "this user already asked")
  KEYS[3]  its stream, which the consumer writes to MySQL from
  KEYS[4]  credited set: the transfers received in this generation
  ARGV[1]  user id, or '' to credit the transfer alone
  ARGV[2]  now, ms since the epoch
  ARGV[3]  coupon id
  ARGV[4]  transfer id, or '' for none
  ARGV[5]  the transfer's places
  ARGV[6]  the transfer's generation: a transfer of another generation is void (the split that
           replaced it counted its places)

  Returns { code, … } (names in replies.ts, BucketAdmission):
    {0}                    RECEIVED        the transfer alone was credited, or was already
    {1}                    ACCEPTED        user recorded and request appended to the stream
    {2}                    ALREADY_ISSUED  this user was admitted here, and a place is left here
    {3}                    SOLD_OUT        every bucket was seen empty in this generation
    {4}                    NOT_IN_WINDOW   now is outside [start, end)
    {5}                    TERMS_MISSING   not split yet, or Redis lost it: load and split
    {6}                    UNVERIFIED      this server is not the one the set was rebuilt on
    {7, gen, sealedAt}     SEALED          a split is under way: its places are not credited yet
    {8, gen, ver, free}    EMPTY           no place here: look at the other buckets
    {9, gen, ver, free}    EMPTY_MEMBER    no place here and the user was admitted here: whether
                                           it is sold out or already issued, only a look tells
]]
local t = redis.call('HMGET', KEYS[1], 'total', 'start', 'end', 'run', 'gen', 'credited', 'share', 'ver', 'soldout', 'sealedAt')
if not t[1] then return {5} end
if not t[4] or not string.find(redis.call('INFO', 'server'), 'run_id:' .. t[4], 1, true) then return {6} end
local gen = t[5]
if t[6] ~= gen then return {7, tonumber(gen), tonumber(t[10]) or 0} end

local share, ver = tonumber(t[7]), tonumber(t[8])
if ARGV[4] ~= '' and ARGV[6] == gen and redis.call('SADD', KEYS[4], ARGV[4]) == 1 then
  share = redis.call('HINCRBY', KEYS[1], 'share', ARGV[5])
  ver = redis.call('HINCRBY', KEYS[1], 'ver', 1)
end
if ARGV[1] == '' then return {0} end

local now = tonumber(ARGV[2])
if t[2] and now < tonumber(t[2]) then return {4} end
if t[3] and now >= tonumber(t[3]) then return {4} end

local free = share - redis.call('SCARD', KEYS[2])
if free <= 0 and t[9] == gen then return {3} end
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then
  if free > 0 then return {2} end
  return {9, tonumber(gen), ver, free}
end
if free <= 0 then return {8, tonumber(gen), ver, free} end

redis.call('SADD', KEYS[2], ARGV[1])
-- total: the coupon's quantity this request was admitted against, the consumer's fence (as issue.lua).
redis.call('XADD', KEYS[3], '*', 'coupon', ARGV[3], 'user', ARGV[1], 'at', ARGV[2], 'total', t[1])
return {1}
