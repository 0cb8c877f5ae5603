//! Why a callback was refused: [`VerifyError`].

use std::time::Duration;

use chrono::{DateTime, Utc};

/// Why [`Verifier::verify`](super::Verifier::verify) refused a callback: each check has its
/// own variant, so a receiver can log exactly why and answer with
/// [`VerifyError::status_code`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// A required header is absent: the signature (`Authorization: Signature ..` or
    /// `x-ms-signature`), `x-ms-certificate-url` or `x-ms-signature-algorithm`.
    #[error("the callback has no {0} header")]
    MissingHeader(&'static str),
    /// A header is present but unreadable (not `Signature <base64>`, not a URL, not text).
    #[error("the callback's {header} header is malformed: {reason}")]
    MalformedHeader {
        /// The header's name.
        header: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// `x-ms-signature-algorithm` names an algorithm the verifier does not support (it
    /// supports `rsa-sha256`, `rsa-sha384`, `rsa-sha512`, and `rsa-sha1` when allowed).
    #[error("unsupported signature algorithm {0:?}")]
    UnsupportedAlgorithm(String),
    /// `x-ms-signature-algorithm` is `rsa-sha1`, refused unless
    /// [`VerifierBuilder::allow_sha1`](super::VerifierBuilder::allow_sha1).
    #[error("signature algorithm {0:?} is too weak and not allowed")]
    WeakAlgorithm(String),
    /// The certificate URL is not `https://` (or `http://` on loopback, when allowed for
    /// tests).
    #[error("the certificate URL {0} is not https://")]
    CertificateUrlNotHttps(String),
    /// The certificate URL's host is not on the allow-list.
    #[error("the certificate URL's host {0:?} is not on the allow-list")]
    CertificateHostNotAllowed(String),
    /// The certificate could not be downloaded (connection, timeout, non-2xx, too large).
    /// Possibly transient: answer 5xx so that Partner Center delivers again.
    #[error("the certificate could not be downloaded: {0}")]
    CertificateFetch(String),
    /// The downloaded document is not an X.509 certificate (DER or PEM), or its key is not
    /// RSA.
    #[error("the certificate is unusable: {0}")]
    InvalidCertificate(String),
    /// The certificate's validity period ended.
    #[error("the certificate expired")]
    CertificateExpired,
    /// The certificate's validity period has not begun.
    #[error("the certificate is not valid yet")]
    CertificateNotYetValid,
    /// The certificate does not chain to a trusted root (unknown issuer, bad signature on
    /// the chain, a CA certificate used as the signer, ...).
    #[error("the certificate is not trusted: {0}")]
    UntrustedCertificate(String),
    /// Neither the certificate's subject nor its issuer has the required organisation
    /// (`O=Microsoft Corporation` by default).
    #[error(
        "the certificate's organisation is not {expected:?} (subject {subject:?}, issuer {issuer:?})"
    )]
    WrongOrganization {
        /// The organisation required.
        expected: String,
        /// The subject's organisations.
        subject: Vec<String>,
        /// The issuer's organisations.
        issuer: Vec<String>,
    },
    /// The signature does not verify over the body with the certificate's key: a changed
    /// body, another key, or a key under 2048 bits.
    #[error("the signature does not match the body")]
    BadSignature,
    /// The signed body is not a webhook event (JSON with `EventName`).
    #[error("the body is not a webhook event: {0}")]
    InvalidPayload(String),
    /// `ResourceChangeUtcDate` is older than the freshness window allows (or absent), or too
    /// far in the future: possibly a replay
    /// ([`VerifierBuilder::max_age`](super::VerifierBuilder::max_age)).
    #[error("the event is outside the freshness window of {max_age:?} (changed {changed:?})")]
    Stale {
        /// The event's `ResourceChangeUtcDate`.
        changed: Option<DateTime<Utc>>,
        /// The window.
        max_age: Duration,
    },
}

impl VerifyError {
    /// The status a receiver should answer with: 503 when downloading the certificate
    /// failed (Partner Center then delivers again), 400 for a malformed callback, 401 for
    /// one that fails authentication.
    pub fn status_code(&self) -> u16 {
        match self {
            VerifyError::CertificateFetch(_) => 503,
            VerifyError::MissingHeader(_)
            | VerifyError::MalformedHeader { .. }
            | VerifyError::InvalidPayload(_) => 400,
            _ => 401,
        }
    }

    /// Whether the same callback may verify later (the certificate could not be
    /// downloaded).
    pub fn is_retryable(&self) -> bool {
        matches!(self, VerifyError::CertificateFetch(_))
    }
}
