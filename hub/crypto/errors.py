"""What the crypto library raises. Callers see one error type per concern; ``reason`` is a
short machine code for logs and tests ("expired", "not-a-recipient"...), never a secret."""

from __future__ import annotations


class CryptoError(Exception):
    def __init__(self, reason: str, message: str = ""):
        super().__init__(message or reason)
        self.reason = reason


class EnvelopeError(CryptoError):
    """An envelope, attachment or receipt was refused. Uniform: the message is always the
    same, whatever check failed, so a caller cannot be used as an oracle."""

    def __init__(self, reason: str):
        super().__init__(reason, "envelope rejected")


class TrustError(CryptoError):
    """A key, certificate, roster or fingerprint could not be trusted."""
