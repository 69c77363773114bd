"""The forms of the CCR's configuration values that several files share."""

SLUG = r"^[a-z0-9][a-z0-9-]{0,31}$"  # an id: agency, person, referral type
CLOCK = r"^([01]\d|2[0-3]):[0-5]\d$"  # a wall-clock time, HH:MM
CLOSING = r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$"  # the same, or 24:00 (the day's end)
