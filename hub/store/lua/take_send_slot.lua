-- Flood control: take a slot in a person's (per channel) and their agency's sliding window
-- of sent notices, or say when the first slot frees. Both windows are checked and taken in
-- one step, so two workers never both take the last slot.
-- window: its length in seconds; member: what is being sent.
local person_window, agency_window = unpack(KEYS)
local now, window, person_limit, agency_limit, member = unpack(ARGV)
now, window = tonumber(now), tonumber(window)
local windows = {person_window, agency_window}
local limits = {tonumber(person_limit), tonumber(agency_limit)}
local free = 0
for i = 1, 2 do
  redis.call('ZREMRANGEBYSCORE', windows[i], '-inf', now - window)
  local used = redis.call('ZCARD', windows[i])
  if used >= limits[i] then
    local oldest = redis.call('ZRANGE', windows[i], used - limits[i], used - limits[i],
                              'WITHSCORES')
    free = math.max(free, tonumber(oldest[2]) + window)
  end
end
if free > 0 then return tostring(free) end
for i = 1, 2 do
  redis.call('ZADD', windows[i], now, member)
  redis.call('EXPIRE', windows[i], math.ceil(window) + 1)
end
return '0'
