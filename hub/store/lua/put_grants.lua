-- Store key grants beside a referral's envelope (docs/envelope.md, "Key grants"): opaque
-- blobs, one per (envelope, grantee device), the same bytes again answered as before, a
-- newer grant replacing an older one; the grantee devices join the referral's readers (for
-- the referral's own envelope). Nothing once the envelope is gone (consent withdrawn or ran
-- out, retention). One audit event for the batch.
-- entries: field, grant, reader ('' for a reply's grant), repeated.
local ref, envelope, grants, granted, audit = unpack(KEYS)
local audit_event = unpack(ARGV)
local entries = rest(ARGV, 2)
local status = redis.call('HGET', ref, 'status')
if not status then return 'missing' end
if redis.call('EXISTS', envelope) == 0 then return 'closed' end
local stored = 0
for i = 1, #entries, 3 do
  local field, grant, reader = entries[i], entries[i + 1], entries[i + 2]
  if redis.call('HGET', grants, field) ~= grant then
    redis.call('HSET', grants, field, grant)
    stored = stored + 1
  end
  if reader ~= '' then redis.call('SADD', granted, reader) end
end
append_audit(audit, audit_event)
return tostring(stored)
