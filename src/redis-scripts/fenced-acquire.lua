--[[
  Takes a coupon's fenced lock if it is free, and hands out the next fencing token in the same
  step, so that tokens are handed out in the order the lock is taken.

  KEYS[1]  lock: holds its owner while taken, and expires after the lease
  KEYS[2]  fence counter: the last token handed out
  ARGV[1]  owner: a value of this acquisition alone, which release.lua compares
  ARGV[2]  lease, ms

  Returns the token (1 or more) if the lock was taken, 0 if another owner holds it.
]]
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return redis.call('INCR', KEYS[2])
end
return 0
