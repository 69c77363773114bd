-- The dead man's switch, decided in one step for every web process, so that N processes
-- watching the same engine tell the operators once.
-- KEYS: alarm (hash: alerted_at, since)
-- ARGV: now, when the engine last ran, seconds after which it is stale, seconds between
--       two alerts
-- Returns 'running', 'resumed' (it runs again after an outage the operators were told of:
-- tell them, once; the outage began at the alarm's 'since', returned as well), 'alert'
-- (stale, and not told for a while: tell them now) or 'stale'.
local now, ran = tonumber(ARGV[1]), tonumber(ARGV[2])
local stale, every = tonumber(ARGV[3]), tonumber(ARGV[4])
local alerted = tonumber(redis.call('HGET', KEYS[1], 'alerted_at') or '0')
if now - ran <= stale then
  if alerted > 0 then
    local since = redis.call('HGET', KEYS[1], 'since')
    redis.call('HSET', KEYS[1], 'alerted_at', '0', 'since', '')
    return {'resumed', since}
  end
  return {'running', ARGV[2]}
end
if now - alerted >= every then
  redis.call('HSET', KEYS[1], 'alerted_at', ARGV[1], 'since', ARGV[2])
  return {'alert', ARGV[2]}
end
return {'stale', ARGV[2]}
