-- The dead man's switch, decided in one step for every web process, so that N processes
-- watching the same engine tell the operators once.
-- alarm: a hash (alerted_at, since); ran: when the engine last ran; stale: seconds after
-- which it is stale; every: seconds between two alerts.
-- Returns 'running', 'resumed' (it runs again after an outage the operators were told of:
-- tell them, once; the outage began at the alarm's 'since', returned as well), 'alert'
-- (stale, and not told for a while: tell them now) or 'stale'.
local alarm = unpack(KEYS)
local now, ran, stale, every = unpack(ARGV)
local alerted = tonumber(redis.call('HGET', alarm, 'alerted_at') or '0')
if tonumber(now) - tonumber(ran) <= tonumber(stale) then
  if alerted > 0 then
    local since = redis.call('HGET', alarm, 'since')
    redis.call('HSET', alarm, 'alerted_at', '0', 'since', '')
    return {'resumed', since}
  end
  return {'running', ran}
end
if tonumber(now) - alerted >= tonumber(every) then
  redis.call('HSET', alarm, 'alerted_at', now, 'since', ran)
  return {'alert', ran}
end
return {'stale', ran}
