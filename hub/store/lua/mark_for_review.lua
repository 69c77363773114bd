-- Mark a referral for the team meeting's case review (or take the mark off, when `mark` is
-- ''), with its history and audit event, in one step. 'gone' when the referral is not there.
local ref, marked, history, audit = unpack(KEYS)
local rid, mark, history_event, audit_event = unpack(ARGV)
if redis.call('EXISTS', ref) == 0 then return 'gone' end
if mark == '' then redis.call('HDEL', marked, rid) else redis.call('HSET', marked, rid, mark) end
redis.call('RPUSH', history, history_event)
append_audit(audit, audit_event)
return 'ok'
