"""Every error code the hub answers with, in `{"error": {"code", "message"}}`, and what it
means. The message says what to fix; the code is what a client branches on, so it never
changes. docs/api.md's table of codes is made from this enum (``python -m hub.api.codes``
prints it) and tests/test_codes_doc.py fails when the two differ."""

from __future__ import annotations

from enum import StrEnum


class Codes(StrEnum):
    meaning: str

    def __new__(cls, value: str, meaning: str) -> Codes:
        member = str.__new__(cls, value)
        member._value_ = value
        member.meaning = meaning
        return member

    # 400: the request itself is malformed
    BAD_REQUEST = "bad_request", "400: the request is malformed (a query value, say)"
    BAD_JSON = "bad_json", "400: the body is not valid JSON, or is nested too deeply"
    BAD_CONTENT_TYPE = "bad_content_type", "400: the body was sent with the wrong Content-Type"
    BAD_FORM = "bad_form", "400: a form body that cannot be read (Twilio's callback)"
    BAD_INDEX = "bad_index", "400: an attachment index that is not 0-15 in ASCII digits"
    BAD_QUERY = "bad_query", "400: a page's address has a bad filter value"
    BAD_TIMER = "bad_timer", ("400: a nudge names no deadline the referral has (the "
                              "acknowledgement or one of its follow-ups)")
    BAD_CODE = "bad_code", "400: a review without one of the review codes"
    BAD_GRANT = "bad_grant", ("400: a SMART token request without grant_type "
                              "client_credentials and a JWT client assertion")
    NOT_FHIR = "not_fhir", ("400: a FHIR body that is not a valid R4 resource, or not the "
                            "one this endpoint takes (the message says where)")
    # 401: who is asking is not established
    UNAUTHORIZED = "unauthorized", ("401: no valid token (or the page session ended, or the "
                                    "token was revoked)")
    BAD_SIGNATURE = "bad_signature", "401: a delivery report's signature does not match"
    BAD_ASSERTION = "bad_assertion", ("401: a SMART client assertion that does not verify "
                                      "(unknown client, key, audience, expiry, or a replay)")
    # 403: established, but not allowed
    FORBIDDEN = "forbidden", "403: your role or agency may not do this"
    NOT_ALLOWED = "not_allowed", ("403: this page or action is for other roles (the queue, "
                                  "figures, nudges, audit trails, devices...)")
    BAD_SCOPE = "bad_scope", ("403: a SMART scope the client is not registered for, or "
                              "another agency's; or a token without the scope this needs")
    BAD_CSRF = "bad_csrf", "403: a page's change without the session's CSRF token"
    NO_AGREEMENT = "no_agreement", "403: no sharing agreement lets your agency send this there"
    REPLY_NOT_SHARED = "reply_not_shared", ("403: the agreement keeps the receiving agency's "
                                            "doings from the sender, and a reply would tell")
    CONSENT_MISSING = "consent_missing", "403: a submission without consent metadata"
    CONSENT_WRONG_AGENCY = "consent_wrong_agency", "403: consent was given for another agency"
    CONSENT_WRONG_PURPOSE = "consent_wrong_purpose", ("403: consent does not cover the "
                                                      "referral type")
    CONSENT_EXPIRED = "consent_expired", ("403: consent has expired; 410 on a download once "
                                          "it ran out and the content was deleted")
    CONSENT_INVALID = "consent_invalid", ("403: consent metadata that are not the CCR's codes "
                                          "and people, or given in the future")
    CONSENT_TOO_LONG = "consent_too_long", "403: consent lasting longer than the CCR allows"
    CONSENT_WIDENED = "consent_widened", "403: consent can only be narrowed, never widened"
    # 404: nothing there that you can see
    NOT_FOUND = "not_found", ("404: no such referral that you can see (the same for another "
                              "agency's), or no such endpoint")
    ENVELOPE_GONE = "envelope_gone", "404: the envelope or reply was deleted"
    UNKNOWN_DRILL = "unknown_drill", "404: no drill under way with that id (it may have ended)"
    ATTACHMENT_GONE = "attachment_gone", "404: the attachment is not uploaded, or deleted"
    UNKNOWN_MESSAGE = "unknown_message", "404: a delivery report for no notice sent"
    REPORTS_NOT_CONFIGURED = "reports_not_configured", ("404: this hub takes no delivery "
                                                        "reports from that gateway")
    PUSH_NOT_CONFIGURED = "push_not_configured", ("404: this hub sends no web push (no "
                                                  "VAPID key set)")
    NOT_YOUR_DEVICE = "not_your_device", ("404: no current device of yours with that id is in "
                                          "your agency's roster")
    METHOD_NOT_ALLOWED = "method_not_allowed", "405: that method is not allowed there"
    REQUEST_TIMEOUT = "request_timeout", "408: the body took too long to arrive"
    # 409: the state does not allow it
    CONFLICT = "conflict", "409: the state does not allow this"
    ILLEGAL_TRANSITION = "illegal_transition", "409: the referral's status does not allow this"
    CONCURRENT_CHANGE = "concurrent_change", "409: the referral changed meanwhile; reload"
    DUPLICATE_ID = "duplicate_id", ("409: an envelope id (or attachment index) already holds "
                                    "other bytes")
    THREAD_CLOSED = "thread_closed", "409: the referral is closed to replies and uploads"
    NOTHING_TO_NUDGE = "nothing_to_nudge", "409: that deadline is met, or no one is left"
    NO_ROSTER = "no_roster", "409: the destination has no current roster to seal to"
    NO_ROOT = "no_root", "409: the agency has no registered root key"
    ROSTER_ROLLBACK = "roster_rollback", "409: the roster is not newer than the published one"
    ROSTER_CHANGED = "roster_changed", ("409: the destination's roster was replaced twice "
                                        "during one submission; submit again")
    NO_SCHEDULE = "no_schedule", ("409: the agency has no on-duty schedule (its point person "
                                  "and backups are fixed in people.toml)")
    SCHEDULE_FILE = "schedule_file", ("409: that override or away period is in schedules.toml; "
                                      "change the file")
    GONE = "gone", "410: it is gone for good"
    PARENT_CONSENT_ENDED = "parent_consent_ended", ("410: the survivor's consent for the "
                                                    "referral you forward has ended")
    VERSION_CHANGED = "version_changed", ("412: the Task changed since the version your "
                                          "If-Match names; read it again")
    CONSENT_WITHDRAWN = "consent_withdrawn", ("410: the survivor withdrew consent; the content "
                                              "was deleted")
    PAYLOAD_TOO_LARGE = "payload_too_large", "413: the body is over the size limit"
    # 422: parses, but is wrong
    UNPROCESSABLE = "unprocessable", "422: the body parses but is wrong"
    INVALID_BODY = "invalid_body", ("422: the body does not match its schema (the message "
                                    "says where)")
    BAD_ENVELOPE = "bad_envelope", "422: the envelope's header cannot be read"
    BAD_RECEIPT = "bad_receipt", "422: the receipt does not verify against your device"
    BAD_REPLY = "bad_reply", "422: a reply sealed for another thread, agency or type"
    BAD_KEY_GRANT = "bad_key_grant", ("422: a key grant that is malformed, for another "
                                      "envelope, not signed by a current device of yours, "
                                      "or to a device outside the escalation group; grant "
                                      "again from a device the referral was sealed to, to a "
                                      "device on your agency's current roster (hub device "
                                      "grant does both)")
    NOT_A_REFERRAL = "not_a_referral", "422: a reply submitted as a referral"
    DRILL_ENVELOPE = "drill_envelope", ("422: an envelope sealed for a drill sent as a real "
                                        "referral, or a real one sent to a drill or forwarding "
                                        "a drill's referral")
    BAD_DRILL_STEP = "bad_drill_step", ("422: a drill's envelope that is none of its scenario's "
                                        "steps (destination, type, urgency)")
    UNKNOWN_SCENARIO = "unknown_scenario", "422: no drill scenario of that id in the CCR"
    NOT_A_REDUCTION = "not_a_reduction", ("422: a purge's envelope is no reduced copy of this "
                                          "referral (kind, thread, destination, type, lifetime)")
    UNKNOWN_PARENT = "unknown_parent", ("422: an onward referral's parent is no referral your "
                                        "agency received")
    UNKNOWN_AGENCY = "unknown_agency", ("422: no agency of the CCR by that id (an envelope's "
                                        "destination, an action item's owner, the agenda's "
                                        "filter)")
    UNKNOWN_TYPE = "unknown_type", "422: the envelope's referral type is not the CCR's"
    UNKNOWN_MILESTONE = "unknown_milestone", ("422: a milestone code not configured for the "
                                              "referral's type (the message lists them)")
    ENVELOPE_EXPIRED = "envelope_expired", "422: the envelope has expired; seal it again"
    ENVELOPE_FROM_FUTURE = "envelope_from_future", ("422: the envelope was made in the future; "
                                                    "check the device's clock")
    BAD_PERIOD = "bad_period", "422: a figures period that ends before it starts, or too long"
    ROSTER_BAD_SIGNATURE = "roster_bad_signature", ("422: the roster is not signed by the "
                                                    "agency's registered root")
    ROSTER_EXPIRED = "roster_expired", "422: the roster has expired"
    ROSTER_WRONG_AGENCY = "roster_wrong_agency", "422: the roster is another agency's"
    ROSTER_INVALID = "roster_invalid", ("422: a roster the hub will not publish for another "
                                        "reason (the message says which)")
    ROSTER_VERSION = "roster_version", "422: the roster's version is past the counter's end"
    BAD_SCHEDULE = "bad_schedule", ("422: an override or away period that names someone "
                                    "outside the escalation group, or whose times are wrong")
    NO_DEVICE = "no_device", ("422: the person has no current device in the group's signed "
                              "roster, so could not open a referral while on duty")
    # 429, 5xx
    RATE_LIMITED = "rate_limited", ("429: too many failed sign-ins, or requests from one "
                                    "person; wait for Retry-After")
    NUDGED_RECENTLY = "nudged_recently", ("429: the referral was nudged less than 15 minutes "
                                          "ago")
    INTERNAL = "internal", "500: a fault of the hub's; quote the request id"
    HTTP_ERROR = "http_error", "an HTTP error the hub has no code of its own for"
    UNAVAILABLE = "unavailable", ("503: Redis unavailable, or no replica confirmed the change; "
                                  "retry after Retry-After")
    REDIS_DOWN = "redis_down", "503 from /healthz: Redis is not answering"


def table() -> str:
    """docs/api.md's table of codes, in the enum's order."""
    rows = [f"| `{code}` | {code.meaning} |" for code in Codes]
    return "\n".join(["| code | meaning |", "|---|---|", *rows])


if __name__ == "__main__":
    print(table())
