// What the crypto modules throw (mirrors hub/crypto/errors.py). `reason` is a short code for
// logs and tests ("expired", "not-a-recipient"...), never shown to a peer and never a secret.

export class CryptoError extends Error {
  constructor(reason, message = '') {
    super(message || reason);
    this.name = 'CryptoError';
    this.reason = reason;
  }
}

/** An envelope, attachment or receipt was refused. The message is always the same, whatever
 * check failed, so no caller can be used as an oracle. */
export class EnvelopeError extends CryptoError {
  constructor(reason) {
    super(reason, 'envelope rejected');
    this.name = 'EnvelopeError';
  }
}

/** A key, certificate, roster or fingerprint could not be trusted. */
export class TrustError extends CryptoError {
  constructor(reason, message = '') {
    super(reason, message);
    this.name = 'TrustError';
  }
}
