"""The dashboard's Drills page says what each scenario does before anyone starts it: every
step in words (from which agency to which, the type, the urgency, and which earlier step an
onward one forwards) and the only people it tells, in the coordinator's language."""

from __future__ import annotations

import html
import re

SECTION = re.compile(r'<section class="card" data-scenario="([^"]+)">(.*?)</section>', re.S)
ITEM = re.compile(r"<li[^>]*>(.*?)</li>", re.S)


def cards(page: str) -> dict[str, tuple[list[str], list[str]]]:
    """Each scenario's card: its steps and its people, as the reader sees them."""
    found = {}
    for scenario, body in SECTION.findall(page):
        steps, people = body.split('class="drill-people"')
        found[scenario] = ([html.unescape(" ".join(x.split())) for x in ITEM.findall(steps)],
                           [html.unescape(" ".join(x.split())) for x in ITEM.findall(people)])
    return found


async def test_each_scenario_card_lists_its_steps_and_the_people_it_tells(hub, sign_in) -> None:
    coordinator = await sign_in("ccr-coordinator")
    status, page = await coordinator.text("/dashboard/drills")
    assert status == 200, page
    shown = cards(page)
    assert list(shown) == ["discharge-2am", "police-advocate", "shelter-counseling"]
    steps, people = shown["shelter-counseling"]
    assert steps == [
        "From Mercy General Hospital (Emergency Department) to Harbor House Domestic Violence "
        "Shelter: Hospital discharge handoff, urgent",
        "From Harbor House Domestic Violence Shelter to Northside Trauma Counseling: "
        "Counseling referral, routine · sent onward from step 1"]
    assert people == ["Harbor House intake advocate (Harbor House Domestic Violence Shelter)",
                      "Harbor House night advocate (Harbor House Domestic Violence Shelter)",
                      "Northside intake counselor (Northside Trauma Counseling)",
                      "Northside clinical director (Northside Trauma Counseling)",
                      "CCR coordinator (River County CCR Coordination Office)"]
    steps, people = shown["discharge-2am"]  # the nurse sends it and is not told
    assert steps[0].endswith(", emergent") and "onward" not in steps[0]
    assert not any(p.startswith("Mercy") for p in people)

    await coordinator.client.post("/language", data={"language": "es"})
    steps, people = cards((await coordinator.text("/dashboard/drills"))[1])["shelter-counseling"]
    assert steps[1].startswith("De Harbor House Domestic Violence Shelter a Northside")
    assert steps[1].endswith("· derivada en cadena desde el paso 1")
    assert "Solo se avisa a estas personas" in (await coordinator.text("/dashboard/drills"))[1]
