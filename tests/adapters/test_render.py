"""Rendering notices proves: NoticeFacts holds only content-free fields and the templates use
nothing beyond what render() derives from them; each notice (subject, text, HTML, SMS) in
English and Spanish names the opaque reference, the agency, the deadline in the agency's
time zone, the level and a link under the base URL; an unknown language falls back to
English; the HTML escapes the agency name; and the SMS stays within one segment whatever
the agency's name or the level (the agency is not in the SMS at all, so only the length of
the base URL can push it past one segment: render() itself does not check)."""

from __future__ import annotations

import dataclasses
import inspect
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2 import Environment, PackageLoader, meta

from hub.adapters.render import LANGUAGES, EngineFacts, GapFacts, NoticeFacts, render, render_digest
from hub.adapters.sms import fits_one_segment
from hub.services.claims import CODE_MARK

REFERRAL = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"  # an envelope id: 16 bytes, hex
BASE_URL = "https://ccr-hub.example-county.org"
DUE = 1_800_000_000  # Fri 15 Jan 2027 08:00 UTC, which is 00:00 in Los Angeles
LOCAL_DUE = {"en": "Fri 15 Jan 00:00 PST", "es": "vie 15 ene 00:00 PST"}  # (email)
LOCAL_DUE_SHORT = {"en": "Fri 00:00", "es": "15/01 00:00"}  # (SMS)
LINK = f"{BASE_URL}/r/{REFERRAL}"
LEVEL_7 = {"en": ("Escalation level: 7", "level 7."),  # (email, SMS)
           "es": ("Nivel de escalamiento: 7", "nivel 7.")}


def facts(agency: str = "Harbor Shelter", *, timer: str = "ack", level: int = 2,
          referral: str = REFERRAL, due: int = DUE, timezone: str = "America/Los_Angeles",
          now: float = DUE - 3600, reads: bool = True) -> NoticeFacts:
    return NoticeFacts(referral, agency, timer, due, level, timezone, now=now, reads=reads)


# Nothing but content-free facts


def test_notice_facts_hold_only_content_free_fields():
    assert [f.name for f in dataclasses.fields(NoticeFacts)] == \
        ["referral", "agency", "timer", "due", "level", "timezone", "code", "now", "reads",
         "drill", "milestone"]
    assert list(inspect.signature(render).parameters) == ["facts", "language", "base_url"]


def _names_used(env: Environment, engine: bool, folder: str = "/engine/") -> set[str]:
    return set().union(*(meta.find_undeclared_variables(env.parse(
        env.loader.get_source(env, name)[0])) for name in env.list_templates()
        if (folder in name) == engine and (folder == "/gap/" or "/gap/" not in name)
        and (engine or "/recovery/" not in name)))


def test_the_templates_use_only_names_derived_from_the_facts():
    env = Environment(loader=PackageLoader("hub.templates", "notices"))
    # digest/count/items belong to the digest variant, which carries the same kind of facts;
    # code is the claim code's place, spoken_ref the reference read out digit by digit, and
    # claim.txt's answer to a claim says what happened (outcome), until when, by whom
    assert _names_used(env, engine=False) <= {
        "digest", "count", "items", "ref", "agency", "timer", "due", "due_short", "level",
        "link", "base", "code", "spoken_ref", "outcome", "until", "by", "spoken", "overdue",
        "reads", "drill", "milestone", "milestone_code"}
    # the engine's alerts name no referral at all: whether it stopped, since when, a link
    assert _names_used(env, engine=True) <= {"stopped", "since", "since_short", "link"}
    assert [f.name for f in dataclasses.fields(EngineFacts)] == \
        ["stopped", "since", "timezone"]
    # a coverage gap's notice names no referral and no person: the agency, its groups'
    # referral types, when, a link
    assert _names_used(env, engine=True, folder="/gap/") <= {
        "agency", "groups", "start", "end", "when_short", "link"}
    assert [f.name for f in dataclasses.fields(GapFacts)] == \
        ["agency", "groups", "start", "end", "timezone"]
    # a recovery key's use names the agency and when, never a referral or a count
    recovery = set().union(*(meta.find_undeclared_variables(env.parse(
        env.loader.get_source(env, name)[0])) for name in env.list_templates()
        if "/recovery/" in name))
    assert recovery == {"agency", "when", "when_short", "link"}


# What each notice says


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_part_names_the_reference_and_links_under_the_base_url(language):
    rendered = render(facts(), language, BASE_URL + "/")
    for part in (rendered.subject, rendered.text, rendered.html, rendered.sms):
        assert REFERRAL[:8] in part
    for part in (rendered.text, rendered.html, rendered.sms):
        assert LINK in part
        assert part.count(REFERRAL) == part.count(LINK)  # the full id only inside the link


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_email_names_agency_deadline_in_its_time_zone_and_level(language):
    rendered = render(facts(level=7), language, BASE_URL)
    for part in (rendered.text, rendered.html):
        assert "Harbor Shelter" in part
        assert LOCAL_DUE[language] in part
        assert LEVEL_7[language][0] in part


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_sms_names_the_local_deadline_and_level(language):
    sms = render(facts(level=7), language, BASE_URL).sms
    assert LOCAL_DUE_SHORT[language] in sms
    assert LEVEL_7[language][1] in sms


def test_a_first_notice_waits_and_an_escalation_asks_for_action_now():
    first, later = (render(facts(level=n), "en", BASE_URL) for n in (1, 2))
    assert first.subject.endswith("is waiting") and later.subject.endswith("needs action now")
    assert "not handled in time" not in first.text + later.text  # the deadline is ahead
    assert "it has not been handled yet" in later.text and "yet" not in first.text


@pytest.mark.parametrize("language, late, waiting", [
    ("en", "not handled in time", "is waiting"),
    ("es", "no se atendió a tiempo", "espera acuse")])
def test_an_overdue_referral_is_called_overdue_not_waiting(language, late, waiting):
    rendered = render(facts(level=2, now=DUE + 60), language, BASE_URL)
    for part in (rendered.subject, rendered.text, rendered.html):
        assert waiting not in part and "en espera" not in part
    assert late in rendered.text and late in rendered.html
    assert rendered.subject.endswith(("is overdue", "vencida"))
    assert ("overdue since" if language == "en" else "vencio") in rendered.sms


@pytest.mark.parametrize("language, device", [("en", "read it on your device"),
                                              ("es", "leerla en su dispositivo")])
def test_a_coordinator_is_not_told_to_read_the_referral_on_a_device(language, device):
    point, coordinator = (render(facts(reads=r), language, BASE_URL) for r in (True, False))
    assert device in point.text and device in point.html
    assert device not in coordinator.text + coordinator.html
    assert ("see where it stands" if language == "en" else "en qué estado está") \
        in coordinator.text


@pytest.mark.parametrize("language, withdrawn, waiting", [
    ("en", "the survivor withdrew consent; its content is deleted",
     "waiting to be acknowledged by Fri 15 Jan 00:00 PST (escalation level 2)"),
    ("es", "la persona sobreviviente retiró su consentimiento; su contenido fue borrado",
     "espera acuse de recibo antes del vie 15 ene 00:00 PST (nivel de escalamiento 2)")])
def test_a_digest_names_what_each_item_is(language, withdrawn, waiting):
    other = "f" * 32
    digest = render_digest([facts(), facts(timer="withdrawn", level=0, referral=other)],
                           language, BASE_URL)
    for part in (digest.text, digest.html):
        assert f"{other[:8]}</a>: {withdrawn}" in part or f"{other[:8]}: {withdrawn}" in part
        assert waiting in part
        assert "(level 0)" not in part and "nivel 0" not in part and "nivel de escalamiento 0" \
            not in part


@pytest.mark.parametrize("timer, en, es", [("ack", "to ack", "acuse"),
                                           ("fu:safety-plan", "follow-up", "seguimiento")])
def test_the_sms_says_which_deadline_without_naming_the_follow_up(timer, en, es):
    english, spanish = (render(facts(timer=timer), lang, BASE_URL).sms for lang in LANGUAGES)
    assert en in english and es in spanish
    assert "safety" not in english + spanish


@pytest.mark.parametrize("language", ["fr", "", "EN", "es-MX"])
def test_an_unknown_language_falls_back_to_english(language):
    assert render(facts(), language, BASE_URL) == render(facts(), "en", BASE_URL)


def test_the_html_email_escapes_the_agency_name():
    agency = "<script>alert(1)</script> & Co"
    rendered = render(facts(agency), "en", BASE_URL)
    assert "<script>" not in rendered.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in rendered.html
    assert agency in rendered.text  # plain text is not HTML: shown as given


def test_a_spanish_notice_names_the_deadline_in_spanish():
    rendered = render(facts(), "es", BASE_URL)
    assert "Fri" not in rendered.sms and "Jan" not in rendered.text


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_drills_notice_says_drill_first_in_every_part(language):
    drill = render(dataclasses.replace(facts(), drill=True), language, BASE_URL)
    for part in (drill.subject, drill.text, drill.sms, drill.part("push.txt")):
        assert part.startswith("DRILL:"), part
    assert "<strong>DRILL:" in drill.html
    assert drill.part("voice.txt").startswith(("This is a drill", "Esto es un simulacro"))
    real = render(facts(), language, BASE_URL)
    assert "DRILL" not in real.subject + real.text + real.sms + real.html
    digest = render_digest([dataclasses.replace(facts(), drill=True)] * 2, language, BASE_URL)
    assert digest.subject.startswith("DRILL:") and "DRILL:" in digest.text


# One SMS segment

AGENCY_ALPHABET = string.ascii_letters + string.digits + " &'-.,()/" + "áéíóúñÑüçÇàèãõ"
TIMEZONES = ["America/Los_Angeles", "America/New_York", "America/Puerto_Rico",
             "Pacific/Honolulu", "Europe/Madrid", "UTC", "Asia/Kolkata"]


@settings(max_examples=200, deadline=None)
@given(agency=st.text(AGENCY_ALPHABET, min_size=1, max_size=80),
       level=st.integers(1, 12),
       timer=st.sampled_from(["ack", "fu:intake", "fu:safety-plan", "act:" + "a" * 16,
                              "ms:" + "m" * 40, "gap:" + "g" * 40]),
       language=st.sampled_from(LANGUAGES), timezone=st.sampled_from(TIMEZONES),
       due=st.integers(1_700_000_000, 2_100_000_000), late=st.booleans(),
       base_url=st.sampled_from(["http://127.0.0.1:8080", BASE_URL,
                                 "https://ccr-hub.example-county.org"]),
       claimable=st.booleans(), drill=st.booleans())
def test_the_sms_fits_one_segment_for_any_agency_name_and_level(
        agency, level, timer, language, timezone, due, late, base_url, claimable, drill):
    code = CODE_MARK if claimable and timer == "ack" else ""  # codes claim acknowledgements
    facts_ = dataclasses.replace(facts(agency, timer=timer, level=level, due=due,
                                       timezone=timezone, now=due + 60 if late else due - 60),
                                 code=code, drill=drill)
    sms = render(facts_, language, base_url).sms
    assert fits_one_segment(sms.replace(CODE_MARK, "123456"))  # the code, in its place


@pytest.mark.parametrize("language", LANGUAGES)
def test_only_an_overlong_base_url_can_push_the_sms_past_one_segment(language):
    base_url = "https://" + "h" * 92  # 100 characters
    sms = render(facts(timer="fu:intake", level=12), language, base_url).sms
    assert not fits_one_segment(sms)  # render() does not shorten it; the channel refuses it


# A milestone's notices: what happened, in plain words (issue 22)

GAP_WORDS = {"en": ("has a missed milestone: Follow-up exam attended", "milestone missed",
                    "missed exam-followup-attended, due", "A milestone was missed"),
             "es": ("tiene un hito no cumplido: Asistió al examen de seguimiento",
                    "hito no cumplido", "hito exam-followup-attended no cumplido, vencia",
                    "No se cumplió un hito")}
LABELS = {"en": "Follow-up exam attended", "es": "Asistió al examen de seguimiento"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_gap_notice_says_which_milestone_was_missed_and_when_it_was_due(language):
    gap = dataclasses.replace(facts(timer="gap:exam-followup-attended", level=1, now=DUE),
                              milestone=LABELS[language])
    rendered = render(gap, language, BASE_URL)
    text, subject, sms, push = GAP_WORDS[language]
    assert text in rendered.text and text in rendered.html
    assert subject in rendered.subject and LABELS[language] in rendered.subject
    assert sms in rendered.sms and fits_one_segment(rendered.sms)
    assert push in rendered.part("voice.txt") and LABELS[language] in rendered.part("voice.txt")
    for part in (rendered.subject, rendered.text, rendered.sms, rendered.part("push.txt")):
        assert "follow-up" not in part and "seguimiento " not in part
    assert REFERRAL[:8] in rendered.sms and LOCAL_DUE[language] in rendered.text


@pytest.mark.parametrize("language, words", [
    ("en", ("has a milestone not recorded in time: Follow-up exam attended",
            "record it on the referral's page", "exam-followup-attended overdue since")),
    ("es", ("tiene un hito no registrado a tiempo: Asistió al examen de seguimiento",
            "regístrelo en la página de la referencia", "hito exam-followup-attended vencio"))])
def test_a_milestone_owed_asks_the_receiving_agency_to_record_it(language, words):
    owed = dataclasses.replace(facts(timer="ms:exam-followup-attended", now=DUE + 60),
                               milestone=LABELS[language])
    rendered = render(owed, language, BASE_URL)
    text, ask, sms = words
    assert text in rendered.text and ask in rendered.text and sms in rendered.sms
    assert "level 2" in rendered.sms or "nivel 2" in rendered.sms


def test_without_its_label_a_milestone_is_named_by_its_code_in_words():
    digest = render_digest([facts(timer="gap:compensation-paid", now=DUE),
                            facts(timer="act:" + "a" * 16, referral="b" * 32, now=DUE)],
                           "en", BASE_URL)
    assert "milestone missed: compensation paid" in digest.text
    assert "action item overdue since" in digest.text


@pytest.mark.parametrize("language, words", [("en", "action item from the case review"),
                                             ("es", "tarea de la revisión de casos")])
def test_an_action_item_is_named_as_one(language, words):
    rendered = render(facts(timer="act:" + "a" * 16), language, BASE_URL)
    assert words in rendered.text and words in rendered.part("voice.txt")
