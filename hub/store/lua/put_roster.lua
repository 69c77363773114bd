-- Publish a roster unless it would roll the agency back to an older version.
-- KEYS: roster hash, audit
-- ARGV: version, signed roster JSON, audit event
local current = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
local version = tonumber(ARGV[1])
if version < current then return {'rollback', tostring(current)} end
if version == current then
  if redis.call('HGET', KEYS[1], 'signed') == ARGV[2] then return {'same', tostring(current)} end
  return {'rollback', tostring(current)}
end
redis.call('HSET', KEYS[1], 'version', ARGV[1], 'signed', ARGV[2])
redis.call('XADD', KEYS[2], '*', 'event', ARGV[3])
return {'ok', ARGV[1]}
