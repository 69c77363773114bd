-- Register an agency's root public key once, with its audit event; or change nothing.
local root, audit = unpack(KEYS)
local public_key, audit_event = unpack(ARGV)
if redis.call('SET', root, public_key, 'NX') then
  append_audit(audit, audit_event)
  return 1
end
return 0
