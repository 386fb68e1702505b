--[[
  Adds to a coupon's requests set the users of one chunk of its stream: requests accepted and
  not yet written to MySQL, which hold a place. Atomic per chunk, so an acknowledgement (which
  deletes an entry, and takes its user out of the set if it was revoked) comes wholly before
  or after it, and never leaves back in the set a user whose entry it has just revoked.

  KEYS[1]  stream of accepted requests
  KEYS[2]  requests set
  ARGV[1]  where to start: '-' for the first entry, '(<id>' for the entry after <id>
  ARGV[2]  most entries to read

  Returns { run id of this Redis server, id of the last entry read ('' if none), entries read }.
  The run id lets the caller tell that every chunk, and the terms written after them, went to
  one and the same server.
]]
local run = string.match(redis.call('INFO', 'server'), 'run_id:(%x+)')
local entries = redis.call('XRANGE', KEYS[1], ARGV[1], '+', 'COUNT', ARGV[2])
for _, entry in ipairs(entries) do
  local fields = entry[2]
  for i = 1, #fields - 1, 2 do
    -- Only a well-formed user id takes a place; a malformed entry is parked by the consumer.
    if fields[i] == 'user' and string.match(fields[i + 1], '^[1-9]%d*$') then
      redis.call('SADD', KEYS[2], fields[i + 1])
      break
    end
  end
end
local last = ''
if #entries > 0 then last = entries[#entries][1] end
return { run, last, #entries }
