-- Publish a roster unless it would roll the agency back to an older version.
-- signed: the signed roster's JSON.
local roster, audit = unpack(KEYS)
local version, signed, audit_event = unpack(ARGV)
local current = tonumber(redis.call('HGET', roster, 'version') or '0')
if tonumber(version) < current then return {'rollback', tostring(current)} end
if tonumber(version) == current then
  if redis.call('HGET', roster, 'signed') == signed then return {'same', tostring(current)} end
  return {'rollback', tostring(current)}
end
redis.call('HSET', roster, 'version', version, 'signed', signed)
append_audit(audit, audit_event)
return {'ok', version}
