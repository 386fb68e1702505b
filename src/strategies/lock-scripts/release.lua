--[[
  Releases a lock only if it still holds this owner: once the lease has run out, the lock may be
  another holder's, and must not be freed under it.

  KEYS[1]  lock
  ARGV[1]  owner

  Returns 1 if released, 0 if the lock was not (or no longer) this owner's.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
