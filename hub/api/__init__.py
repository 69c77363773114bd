"""What clients and the hub share without either importing the other: the HTTP API's bodies
(schemas.py, reports.py) and the content that travels inside envelopes (contents.py, from
which /v1/schemas is generated). Nothing here imports hub.web or hub.client."""
