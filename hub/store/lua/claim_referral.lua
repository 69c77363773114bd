-- Claim a referral from a notice's code: while the code is live and names this referral
-- and person, and the referral still waits for its acknowledgement, the code is spent, the
-- claim recorded (who, when, until when escalation holds), the acknowledgement's next rung
-- put off to the pause's end when it falls due sooner (a rung in a worker's hands is put
-- off by advance_timer.lua), and the history and audit events written.
-- Answers 'claimed', 'taken' (claimed by someone else, still held), 'closed' (no longer
-- waiting) or 'expired' (the code is spent or gone).
-- held, held_here: the claims held now (every agency's, the receiving agency's), by when
-- their pause ends; those long over are trimmed.
local code, codes_to, ref, deadlines, history, audit, held, held_here = unpack(KEYS)
local code_value, person, member, now, pause_until, history_event, audit_event, rid = unpack(ARGV)
if redis.call('GET', code) ~= code_value then return 'expired' end
if redis.call('HGET', ref, 'status') ~= 'requested' then
  redis.call('DEL', code)
  redis.call('SREM', codes_to, code)
  return 'closed'
end
local holder = redis.call('HGET', ref, 'claimed_by')
local held_until = tonumber(redis.call('HGET', ref, 'claim_until') or '0')
if holder and holder ~= person and held_until > tonumber(now) then return 'taken' end
redis.call('DEL', code)
redis.call('SREM', codes_to, code)
redis.call('HSET', ref, 'claimed_by', person, 'claimed_at', now, 'claim_until', pause_until)
local due = redis.call('ZSCORE', deadlines, member)
if due and tonumber(due) < tonumber(pause_until) then
  redis.call('ZADD', deadlines, pause_until, member)
end
for _, set in ipairs({held, held_here}) do
  redis.call('ZADD', set, pause_until, rid)
  redis.call('ZREMRANGEBYSCORE', set, '-inf', tonumber(now) - 86400)
end
redis.call('RPUSH', history, history_event)
append_audit(audit, audit_event)
return 'claimed'
