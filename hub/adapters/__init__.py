"""Notices: content-free messages that carry an escalation to a person, and the channel
adapters (email, SMS) that deliver them. Adapters know nothing of referrals."""
