-- Flood control: take a slot in a person's (per channel) and their agency's sliding window
-- of sent notices, or say when the first slot frees. Both windows are checked and taken in
-- one step, so two workers never both take the last slot.
-- KEYS: the person's window, the agency's window
-- ARGV: now, window seconds, person limit, agency limit, member (what is being sent)
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local limits = {tonumber(ARGV[3]), tonumber(ARGV[4])}
local free = 0
for i = 1, 2 do
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
  local used = redis.call('ZCARD', KEYS[i])
  if used >= limits[i] then
    local oldest = redis.call('ZRANGE', KEYS[i], used - limits[i], used - limits[i], 'WITHSCORES')
    free = math.max(free, tonumber(oldest[2]) + window)
  end
end
if free > 0 then return tostring(free) end
for i = 1, 2 do
  redis.call('ZADD', KEYS[i], now, ARGV[5])
  redis.call('EXPIRE', KEYS[i], math.ceil(window) + 1)
end
return '0'
