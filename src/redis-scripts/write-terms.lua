--[[
  Replaces a coupon's terms hash with the terms of one version of the coupon row, unless the
  hash already holds that version or a newer one. Writers race (loaders in every process, a
  refresh after each change), and their writes can arrive in any order; comparing versions
  inside Redis makes the newest terms win whatever the order.

  KEYS[1]  terms hash: v, total, start?, end?, run (read by issue.lua)
  ARGV[1]  mode:
             'load'     after the requests set was rebuilt on this server: write if the hash
                        is absent, older, or was rebuilt on another server (run differs), and
                        mark it rebuilt here
             'refresh'  write only if the hash exists and is older, keeping its run: an
                        absent hash means the coupon was never loaded, its requests set is not
                        seeded, so only a loader may create it; and a set not rebuilt on this
                        server must stay marked so
  ARGV[2]  version of the coupon row the terms come from
  ARGV[3]  total quantity
  ARGV[4]  start, ms since the epoch, or '' for an open bound
  ARGV[5]  end, ms since the epoch, or '' for an open bound
  ARGV[6]  'load' only: the run id of the server the set was rebuilt on, read as the rebuild began

  Returns (names in replies.ts, TermsWrite):
    1 WRITTEN     the hash now holds these terms
    2 NOT_NEWER   the hash holds this version or a newer one, rebuilt here; left as it is
    3 NOT_LOADED  'refresh' of a hash that does not exist; left absent
    4 RESTARTED   'load' on another server than the one the rebuild began on: Redis restarted
                  or failed over meanwhile, and this set may lack what was added to the other
                  one; nothing written, the rebuild must start over
]]
local mode = ARGV[1]
if mode ~= 'load' and mode ~= 'refresh' then
  return redis.error_reply('write-terms: unknown mode ' .. tostring(mode))
end

local run = nil
if mode == 'load' then
  run = string.match(redis.call('INFO', 'server'), 'run_id:(%x+)')
  if run ~= ARGV[6] then return 4 end
end

local exists = redis.call('EXISTS', KEYS[1]) == 1
if not exists and mode == 'refresh' then return 3 end
if exists then
  local stored = redis.call('HMGET', KEYS[1], 'v', 'run')
  -- A hash without v was written before terms were versioned: any version is newer.
  local version, given = tonumber(stored[1]) or 0, tonumber(ARGV[2])
  if mode == 'refresh' then
    if version >= given then return 2 end
    run = stored[2]
  elseif version > given then
    -- Newer terms than this loader read (a change refreshed them meanwhile): keep them, and
    -- only record that the set was rebuilt here.
    if stored[2] == run then return 2 end
    redis.call('HSET', KEYS[1], 'run', run)
    return 1
  elseif version == given and stored[2] == run then
    return 2
  end
end

-- Replaced whole, so a bound the coupon no longer has disappears with it.
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'v', ARGV[2], 'total', ARGV[3])
if run then redis.call('HSET', KEYS[1], 'run', run) end
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'start', ARGV[4]) end
if ARGV[5] ~= '' then redis.call('HSET', KEYS[1], 'end', ARGV[5]) end
return 1
