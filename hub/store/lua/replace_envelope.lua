-- The receiving agency purged a referral's narrative: in one step its envelope is replaced
-- by the reduced one its device sealed (the old bytes gone from Redis), the attachment
-- blobs and key grants bound to the old envelope are deleted, the referral's digest,
-- header hash and readers are updated, and the history and audit events are written.
-- Only if the envelope is still the one the device opened (expected: its digest) and is
-- still stored (consent ended deletes it).
-- fields: JSON object of strings (envelope_digest, header_hash, sealed_to, updated_at...).
local ref, envelope, history, audit, attachments, grants, granted = unpack(KEYS)
local expected, envelope_bytes, fields, history_event, audit_event = unpack(ARGV)
if redis.call('EXISTS', envelope) == 0 then return 'gone' end
if redis.call('HGET', ref, 'envelope_digest') ~= expected then return 'stale' end
redis.call('SET', envelope, envelope_bytes)
redis.call('HSET', ref, unpack(field_list(fields)))
redis.call('DEL', grants, granted)
for _, index in ipairs(redis.call('LRANGE', attachments, 0, -1)) do
  redis.call('DEL', ref .. ':attachment:' .. index)
end
redis.call('RPUSH', history, history_event)
append_audit(audit, audit_event)
return 'ok'
