--[[
  Raises the fence counter to at least a token MySQL has already taken. The counter falls
  behind when Redis loses it (a restart without persistence, an older snapshot): until it is
  raised, every token handed out would be older than the newest MySQL took, and refused.

  KEYS[1]  fence counter
  ARGV[1]  newest token MySQL holds

  Returns the counter after the call.
]]
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local newest = tonumber(ARGV[1])
if current < newest then
  redis.call('SET', KEYS[1], ARGV[1])
  return newest
end
return current
