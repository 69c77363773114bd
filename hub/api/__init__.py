"""What clients and the hub share without either importing the other: the content that
travels inside envelopes (its models, from which /v1/schemas is generated)."""
