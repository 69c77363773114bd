-- Store a reply or an attachment once: the same bytes again are accepted, other bytes
-- under the same name are a conflict; nothing once consent was withdrawn or ran out.
-- Metadata, list membership and audit go together.
-- meta: the metadata hash; members: the list it joins; fields: JSON object of strings;
-- counter: the referral's counter field for this kind of blob.
local blob, meta, members, ref, history, audit = unpack(KEYS)
local digest, data, fields, member, history_event, audit_event, counter = unpack(ARGV)
local status = redis.call('HGET', ref, 'status')
if not status then return 'missing' end
if status == 'revoked' or status == 'expired' then return 'closed' end  -- content deleted
local before = stored_before(meta, 'digest', digest)
if before then return before end
local flat = field_list(fields, 'digest', digest)
redis.call('SET', blob, data)
redis.call('HSET', meta, unpack(flat))
redis.call('RPUSH', members, member)
redis.call('HINCRBY', ref, counter, 1)
redis.call('RPUSH', history, history_event)
append_audit(audit, audit_event)
return 'created'
