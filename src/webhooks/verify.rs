//! Verifying a callback (reference section 5.3): [`Verifier`] and its builder.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use chrono::Utc;
use reqwest::header::HeaderMap;
use ring::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use rustls_pki_types::{CertificateDer, TrustAnchor, UnixTime};

use super::certificate::{Cache, certificates, check_chain, check_organization, check_url};
use super::error::VerifyError;
use super::event::WebhookEvent;
use crate::error::InvalidInput;

/// The host Partner Center's documentation serves the signing certificate from.
pub const DEFAULT_CERTIFICATE_HOST: &str = "3psostorageacct.blob.core.windows.net";

/// The organisation the signing certificate's subject or issuer must name.
pub const DEFAULT_ORGANIZATION: &str = "Microsoft Corporation";

/// How many certificates the verifier keeps by default.
pub const DEFAULT_CACHE_CAPACITY: usize = 16;

/// How long a downloaded certificate is kept by default.
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(60 * 60);

/// The largest certificate document downloaded.
const MAX_CERTIFICATE_BYTES: usize = 64 * 1024;

/// Verifies Partner Center webhook callbacks and returns the typed event.
///
/// Cheap to clone (an `Arc` inside); keep one for the receiver's lifetime so its certificate
/// cache is shared. What it checks, in order (each failure is its own [`VerifyError`]):
///
/// 1. the signature: `x-ms-signature` when present (the registration's
///    `SignatureTokenToMsSignatureHeader` option), else `Authorization: Signature <base64>`;
/// 2. `x-ms-signature-algorithm`: `rsa-sha256` (also `rsa-sha384`, `rsa-sha512`;
///    `rsa-sha1` only after [`VerifierBuilder::allow_sha1`]);
/// 3. `x-ms-certificate-url`: `https://` and a host on the allow-list (default
///    [`DEFAULT_CERTIFICATE_HOST`]);
/// 4. the certificate, downloaded (no redirects) or taken from the cache: its validity
///    period now, its chain to the roots (default: Mozilla's, as the clients' TLS trusts),
///    and `O=`[`DEFAULT_ORGANIZATION`] in its subject or issuer;
/// 5. the RSA PKCS#1 v1.5 signature over the exact body bytes;
/// 6. the body as a [`WebhookEvent`], and, when [`VerifierBuilder::max_age`] is set, its
///    `ResourceChangeUtcDate` within the window.
///
/// ```no_run
/// # async fn run(headers: reqwest::header::HeaderMap, body: Vec<u8>) -> Result<(), Box<dyn std::error::Error>> {
/// use partner_alerts::webhooks::Verifier;
///
/// let verifier = Verifier::builder().build()?;
/// match verifier.verify(&headers, &body).await {
///     Ok(event) => println!("{} for {:?}", event.event_name, event.subscription_id()),
///     Err(e) => eprintln!("refused ({}): {e}", e.status_code()),
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<Inner>,
}

struct Inner {
    allowed_hosts: Vec<String>,
    roots: Vec<TrustAnchor<'static>>,
    intermediates: Vec<CertificateDer<'static>>,
    organization: String,
    allow_sha1: bool,
    http_loopback: bool,
    max_age: Option<Duration>,
    cache: Cache,
    http: reqwest::Client,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("allowed_hosts", &self.inner.allowed_hosts)
            .field("roots", &self.inner.roots.len())
            .field("organization", &self.inner.organization)
            .field("allow_sha1", &self.inner.allow_sha1)
            .field("http_loopback", &self.inner.http_loopback)
            .field("max_age", &self.inner.max_age)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Verifier`]; from [`Verifier::builder`].
#[derive(Debug)]
#[must_use = "a builder does nothing until built"]
pub struct VerifierBuilder {
    allowed_hosts: Vec<String>,
    roots: Option<Vec<Vec<u8>>>,
    intermediates: Vec<Vec<u8>>,
    organization: String,
    allow_sha1: bool,
    http_loopback: bool,
    max_age: Option<Duration>,
    cache_capacity: usize,
    cache_ttl: Duration,
    fetch_timeout: Duration,
    http: Option<reqwest::Client>,
}

impl VerifierBuilder {
    /// Replaces the hosts the certificate may be downloaded from (default
    /// [`DEFAULT_CERTIFICATE_HOST`]); compared in any case, exactly (no wildcards).
    pub fn allowed_hosts<S: Into<String>>(mut self, hosts: impl IntoIterator<Item = S>) -> Self {
        self.allowed_hosts = hosts.into_iter().map(Into::into).collect();
        self
    }

    /// Adds a host the certificate may be downloaded from (for a certificate Microsoft
    /// moves).
    pub fn allow_host(mut self, host: impl Into<String>) -> Self {
        self.allowed_hosts.push(host.into());
        self
    }

    /// Trusts only these roots (DER certificates) instead of the default, Mozilla's root
    /// program (`webpki-roots`, which the clients' TLS trusts too). For the platform's
    /// store, pass what `rustls-native-certs` loads.
    pub fn roots_der<D: Into<Vec<u8>>>(mut self, roots: impl IntoIterator<Item = D>) -> Self {
        self.roots = Some(roots.into_iter().map(Into::into).collect());
        self
    }

    /// Adds intermediate certificates (DER) to build the chain with: the certificate URL
    /// serves the signing certificate alone, and its issuing CA must come from somewhere
    /// (certificates served after it in a PEM bundle are used too).
    pub fn intermediate_der(mut self, der: impl Into<Vec<u8>>) -> Self {
        self.intermediates.push(der.into());
        self
    }

    /// The organisation the certificate's subject or issuer must name (default
    /// [`DEFAULT_ORGANIZATION`]), compared exactly.
    pub fn organization(mut self, organization: impl Into<String>) -> Self {
        self.organization = organization.into();
        self
    }

    /// Accepts `rsa-sha1` signatures (default: refused as [`VerifyError::WeakAlgorithm`]).
    /// The documentation's sample handles SHA-1; Partner Center sends `rsa-sha256`.
    pub fn allow_sha1(mut self, on: bool) -> Self {
        self.allow_sha1 = on;
        self
    }

    /// **Tests only**: also accepts a certificate URL with `http://` when its host is
    /// loopback (`127.0.0.0/8`, `::1`, `localhost`) and on the allow-list, as the clients
    /// accept an `http://` base URL on loopback only. The emulator serves its certificate
    /// so. Never turn it on in production: Partner Center's certificate is on `https://`.
    pub fn allow_http_on_loopback(mut self, on: bool) -> Self {
        self.http_loopback = on;
        self
    }

    /// Refuses an event whose `ResourceChangeUtcDate` is older than `max_age` (or more than
    /// five minutes in the future, or absent) as [`VerifyError::Stale`]: a replay hint, off
    /// by default. The date is when the resource changed, not when the event was sent, and
    /// Partner Center retries for an undocumented while: leave room.
    pub fn max_age(mut self, max_age: Option<Duration>) -> Self {
        self.max_age = max_age;
        self
    }

    /// The certificate cache: at most `capacity` certificates by URL (default
    /// [`DEFAULT_CACHE_CAPACITY`]; 0 turns it off), each for `ttl` (default
    /// [`DEFAULT_CACHE_TTL`]). Validity and chain are checked again on every use.
    pub fn cache(mut self, capacity: usize, ttl: Duration) -> Self {
        self.cache_capacity = capacity;
        self.cache_ttl = ttl;
        self
    }

    /// The time allowed to download a certificate (default 10 s).
    pub fn fetch_timeout(mut self, timeout: Duration) -> Self {
        self.fetch_timeout = timeout;
        self
    }

    /// A `reqwest::Client` of your own for the download (proxies); configure it not to
    /// follow redirects.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Checks the settings and builds the verifier.
    ///
    /// # Errors
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) when a root is not a certificate
    /// that can anchor a chain, no host is allowed, or the HTTP client cannot be built.
    pub fn build(self) -> crate::Result<Verifier> {
        if self.allowed_hosts.is_empty() {
            return Err(InvalidInput::new("allowed hosts", "is empty").into());
        }
        let roots = match self.roots {
            None => webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            Some(ders) => {
                let mut roots = Vec::with_capacity(ders.len());
                for der in ders {
                    let der = CertificateDer::from(der);
                    let anchor = webpki::anchor_from_trusted_cert(&der)
                        .map_err(|e| InvalidInput::new("root certificate", format!("{e:?}")))?;
                    roots.push(anchor.to_owned());
                }
                roots
            }
        };
        let http = match self.http {
            Some(c) => c,
            None => reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(self.fetch_timeout)
                .build()
                .map_err(|e| InvalidInput::new("http client", e.to_string()))?,
        };
        Ok(Verifier {
            inner: Arc::new(Inner {
                allowed_hosts: self
                    .allowed_hosts
                    .into_iter()
                    .map(|h| h.trim().to_ascii_lowercase())
                    .collect(),
                roots,
                intermediates: self
                    .intermediates
                    .into_iter()
                    .map(CertificateDer::from)
                    .collect(),
                organization: self.organization,
                allow_sha1: self.allow_sha1,
                http_loopback: self.http_loopback,
                max_age: self.max_age,
                cache: Cache::new(self.cache_capacity, self.cache_ttl),
                http,
            }),
        })
    }
}

/// The signature headers of a callback, read but not checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureHeaders {
    /// The signature's bytes (decoded from base64).
    pub signature: Vec<u8>,
    /// `x-ms-certificate-url`.
    pub certificate_url: String,
    /// `x-ms-signature-algorithm`, as sent.
    pub algorithm: String,
}

impl SignatureHeaders {
    /// Reads the headers (names in any case): the signature from `x-ms-signature` when
    /// present (`Signature <base64>`, or bare base64), else from `Authorization: Signature
    /// <base64>`.
    ///
    /// ```
    /// use partner_alerts::webhooks::SignatureHeaders;
    /// use reqwest::header::HeaderMap;
    ///
    /// let mut h = HeaderMap::new();
    /// h.insert("authorization", "Signature AQID".parse().unwrap());
    /// h.insert("x-ms-certificate-url", "https://3psostorageacct.blob.core.windows.net/c.cer".parse().unwrap());
    /// h.insert("x-ms-signature-algorithm", "rsa-sha256".parse().unwrap());
    /// let parsed = SignatureHeaders::from_headers(&h).unwrap();
    /// assert_eq!(parsed.signature, [1, 2, 3]);
    /// ```
    ///
    /// # Errors
    /// [`VerifyError::MissingHeader`] or [`VerifyError::MalformedHeader`].
    pub fn from_headers(headers: &HeaderMap) -> Result<Self, VerifyError> {
        let text =
            |name: &'static str| -> Result<Option<&str>, VerifyError> {
                match headers.get(name) {
                    None => Ok(None),
                    Some(v) => v.to_str().map(|s| Some(s.trim())).map_err(|_| {
                        VerifyError::MalformedHeader {
                            header: name,
                            reason: "is not visible ASCII".into(),
                        }
                    }),
                }
            };
        let (header, value) = match text("x-ms-signature")? {
            Some(v) => ("x-ms-signature", strip_scheme(v).unwrap_or(v)),
            None => match text("authorization")? {
                Some(v) => (
                    "authorization",
                    strip_scheme(v).ok_or(VerifyError::MalformedHeader {
                        header: "authorization",
                        reason: "its scheme is not Signature".into(),
                    })?,
                ),
                None => return Err(VerifyError::MissingHeader("signature (authorization)")),
            },
        };
        let signature = base64::engine::general_purpose::STANDARD
            .decode(value.trim())
            .map_err(|e| VerifyError::MalformedHeader {
                header,
                reason: format!("the signature is not base64: {e}"),
            })?;
        if signature.is_empty() {
            return Err(VerifyError::MalformedHeader {
                header,
                reason: "the signature is empty".into(),
            });
        }
        let certificate_url = text("x-ms-certificate-url")?
            .ok_or(VerifyError::MissingHeader("x-ms-certificate-url"))?
            .to_owned();
        let algorithm = text("x-ms-signature-algorithm")?
            .ok_or(VerifyError::MissingHeader("x-ms-signature-algorithm"))?
            .to_owned();
        Ok(SignatureHeaders {
            signature,
            certificate_url,
            algorithm,
        })
    }
}

/// The parameter of `Signature <param>` (scheme in any case).
fn strip_scheme(value: &str) -> Option<&str> {
    let (scheme, rest) = value.split_once(char::is_whitespace)?;
    scheme
        .eq_ignore_ascii_case("signature")
        .then_some(rest.trim())
}

impl Verifier {
    /// A builder with the defaults: the documented certificate host, Mozilla's roots,
    /// `O=Microsoft Corporation`, `rsa-sha256` (and stronger) only, no freshness window.
    pub fn builder() -> VerifierBuilder {
        VerifierBuilder {
            allowed_hosts: vec![DEFAULT_CERTIFICATE_HOST.to_owned()],
            roots: None,
            intermediates: Vec::new(),
            organization: DEFAULT_ORGANIZATION.to_owned(),
            allow_sha1: false,
            http_loopback: false,
            max_age: None,
            cache_capacity: DEFAULT_CACHE_CAPACITY,
            cache_ttl: DEFAULT_CACHE_TTL,
            fetch_timeout: Duration::from_secs(10),
            http: None,
        }
    }

    /// Verifies a callback from its headers and its raw body, exactly as received, and
    /// returns the event (see the type's docs for the checks).
    ///
    /// # Errors
    /// The [`VerifyError`] of the first check that failed.
    pub async fn verify(
        &self,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<WebhookEvent, VerifyError> {
        let parts = SignatureHeaders::from_headers(headers)?;
        self.verify_parts(&parts, body).await
    }

    /// As [`Verifier::verify`], from headers already read (for a framework whose header
    /// type is not `http`'s).
    ///
    /// # Errors
    /// The [`VerifyError`] of the first check that failed.
    pub async fn verify_parts(
        &self,
        parts: &SignatureHeaders,
        body: &[u8],
    ) -> Result<WebhookEvent, VerifyError> {
        let inner = &self.inner;
        let algorithm = self.algorithm(&parts.algorithm)?;
        let url = check_url(
            &parts.certificate_url,
            &inner.allowed_hosts,
            inner.http_loopback,
        )?;
        let cert = inner
            .cache
            .fetch(&inner.http, &url, MAX_CERTIFICATE_BYTES)
            .await?;
        let now = UnixTime::since_unix_epoch(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default(),
        );
        check_chain(&cert, &inner.roots, &inner.intermediates, now)?;
        check_organization(&cert, &inner.organization)?;
        UnparsedPublicKey::new(algorithm, &cert.rsa_key)
            .verify(body, &parts.signature)
            .map_err(|_| VerifyError::BadSignature)?;
        let event: WebhookEvent =
            serde_json::from_slice(body).map_err(|e| VerifyError::InvalidPayload(e.to_string()))?;
        if let Some(max_age) = inner.max_age {
            let fresh = event.resource_change_utc_date.is_some_and(|changed| {
                let age = Utc::now().signed_duration_since(changed);
                age <= chrono::Duration::from_std(max_age).unwrap_or(chrono::TimeDelta::MAX)
                    && age >= -chrono::Duration::minutes(5)
            });
            if !fresh {
                return Err(VerifyError::Stale {
                    changed: event.resource_change_utc_date,
                    max_age,
                });
            }
        }
        Ok(event)
    }

    /// The ring algorithm for an `x-ms-signature-algorithm` value (`rsa-<hash>`, any case).
    fn algorithm(&self, name: &str) -> Result<&'static dyn VerificationAlgorithm, VerifyError> {
        match name.trim().to_ascii_lowercase().as_str() {
            "rsa-sha256" => Ok(&signature::RSA_PKCS1_2048_8192_SHA256),
            "rsa-sha384" => Ok(&signature::RSA_PKCS1_2048_8192_SHA384),
            "rsa-sha512" => Ok(&signature::RSA_PKCS1_2048_8192_SHA512),
            "rsa-sha1" if self.inner.allow_sha1 => {
                Ok(&signature::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY)
            }
            "rsa-sha1" => Err(VerifyError::WeakAlgorithm(name.to_owned())),
            _ => Err(VerifyError::UnsupportedAlgorithm(name.to_owned())),
        }
    }

    /// How many certificates the cache holds.
    pub fn cached_certificates(&self) -> usize {
        self.inner.cache.len()
    }
}

/// The DER certificates of a PEM document (one or more `CERTIFICATE` blocks), or the
/// document itself when it is DER: to pass roots or intermediates read from files.
///
/// # Errors
/// [`VerifyError::InvalidCertificate`] for a PEM block that is not base64 or not closed.
pub fn certificates_from_pem_or_der(document: &[u8]) -> Result<Vec<Vec<u8>>, VerifyError> {
    certificates(document)
}
