"""Deadlines and escalation: timers in one Redis sorted set, claimed by a ticker under a
lease, fired by RQ jobs that walk each policy's ladder and send content-free notices."""
