"""Every Redis key name the hub uses, in one place (RQ's ``key_template`` habit).

A key holds ids and codes only: nothing identifying about a survivor ever appears in a
key name. Tests give each run its own prefix so they can share one Redis.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Keys:
    prefix: str = "ccr"

    # referrals
    def referral(self, rid: str) -> str:
        return f"{self.prefix}:ref:{rid}"

    def envelope(self, rid: str) -> str:
        return f"{self.prefix}:ref:{rid}:envelope"

    def history(self, rid: str) -> str:
        return f"{self.prefix}:ref:{rid}:history"

    def replies(self, rid: str) -> str:
        return f"{self.prefix}:ref:{rid}:replies"

    def reply(self, rid: str, reply_id: str) -> str:
        return f"{self.prefix}:ref:{rid}:reply:{reply_id}"

    def reply_envelope(self, rid: str, reply_id: str) -> str:
        return f"{self.prefix}:ref:{rid}:reply:{reply_id}:envelope"

    def referral_keys(self, rid: str) -> str:
        """A pattern matching every key of one referral (for purges and tests)."""
        return f"{self.prefix}:ref:{rid}*"

    def attachments(self, rid: str) -> str:
        return f"{self.prefix}:ref:{rid}:attachments"

    def attachment(self, rid: str, index: int) -> str:
        return f"{self.prefix}:ref:{rid}:attachment:{index}"

    def attachment_meta(self, rid: str, index: int) -> str:
        return f"{self.prefix}:ref:{rid}:attachment:{index}:meta"

    # indexes
    def inbox(self, agency: str) -> str:
        return f"{self.prefix}:inbox:{agency}"

    def outbox(self, agency: str) -> str:
        return f"{self.prefix}:outbox:{agency}"

    def by_status(self, status: str) -> str:
        return f"{self.prefix}:status:{status}"

    def deadlines(self) -> str:
        return f"{self.prefix}:deadlines"

    # directory and access
    def root(self, agency: str) -> str:
        return f"{self.prefix}:agency:{agency}:root"

    def roster(self, agency: str) -> str:
        return f"{self.prefix}:agency:{agency}:roster"

    def token(self, token_id: str) -> str:
        return f"{self.prefix}:token:{token_id}"

    def person_tokens(self, person: str) -> str:
        return f"{self.prefix}:person:{person}:tokens"

    def auth_failures(self, scope: str, value: str) -> str:
        return f"{self.prefix}:authfail:{scope}:{value}"

    # audit
    def audit(self) -> str:
        return f"{self.prefix}:audit"

    def pattern(self) -> str:
        return f"{self.prefix}:*"
