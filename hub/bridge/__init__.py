"""`hub bridge`: the process a hospital runs inside its own network between its EHR and
the hub. It holds a device key of the hospital's agency, takes the EHR's FHIR (a
transaction Bundle of ServiceRequest, Patient, Consent, QuestionnaireResponse and
optionally a DocumentReference with a C-CDA; or an IG Task carrying them contained), seals
it to the destination's escalation group as a discharge handoff and submits it with the
consent metadata; then it keeps the EHR informed of the Task's status. Client-side code:
it speaks to the hub only through the SDK (hub/client). docs/fhir.md."""
