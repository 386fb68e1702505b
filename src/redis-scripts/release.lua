--[[
  Releases a lock only if it still holds this owner: once the lease has run out, the lock may be
  another holder's, and must not be freed under it. The one compare-and-delete of every Redis
  lock of the lab's own (spin-lock, pubsub-lock, fenced-lock).

  KEYS[1]  lock
  ARGV[1]  owner
  ARGV[2]  optional: a channel to publish 'released' on once released, which wakes the lock's
           waiters (pubsub-lock)

  Returns 1 if released, 0 if the lock was not (or no longer) this owner's.
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
if ARGV[2] then redis.call('PUBLISH', ARGV[2], 'released') end
return 1
