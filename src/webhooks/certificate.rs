//! The signing certificate: where it may be downloaded from, the download and its cache, and
//! the checks of its chain, validity and organisation.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use rustls_pki_types::{CertificateDer, TrustAnchor, UnixTime};
use url::Url;
use webpki::{EndEntityCert, KeyPurposeIdIter};
use x509_cert::der::Decode as _;
use x509_cert::der::asn1::{PrintableStringRef, Utf8StringRef};

use super::error::VerifyError;

/// A downloaded certificate, parsed once.
#[derive(Debug)]
pub(super) struct Certificate {
    pub(super) der: CertificateDer<'static>,
    /// Certificates served after the first one (a PEM bundle): intermediates.
    pub(super) chain: Vec<CertificateDer<'static>>,
    /// The RSA public key (PKCS#1 `RSAPublicKey`), as ring reads it.
    pub(super) rsa_key: Vec<u8>,
    pub(super) subject_orgs: Vec<String>,
    pub(super) issuer_orgs: Vec<String>,
}

/// Checks the certificate URL: a URL, `https://` (or `http://` on loopback when
/// `http_loopback`), its host on `allowed` (compared in any case).
pub(super) fn check_url(
    value: &str,
    allowed: &[String],
    http_loopback: bool,
) -> Result<Url, VerifyError> {
    let url = Url::parse(value.trim()).map_err(|e| VerifyError::MalformedHeader {
        header: "x-ms-certificate-url",
        reason: e.to_string(),
    })?;
    let host = url.host_str().unwrap_or("").to_ascii_lowercase();
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match url.scheme() {
        "https" => {}
        "http" if http_loopback && is_loopback(host) => {}
        _ => return Err(VerifyError::CertificateUrlNotHttps(url.to_string())),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(VerifyError::MalformedHeader {
            header: "x-ms-certificate-url",
            reason: "holds credentials".into(),
        });
    }
    if !allowed.iter().any(|a| a.eq_ignore_ascii_case(host)) {
        return Err(VerifyError::CertificateHostNotAllowed(host.to_owned()));
    }
    Ok(url)
}

fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Certificates by URL, each kept for a lifetime, at most `capacity` of them.
#[derive(Debug)]
pub(super) struct Cache {
    entries: Mutex<HashMap<String, (Arc<Certificate>, Instant)>>,
    capacity: usize,
    ttl: Duration,
}

impl Cache {
    pub(super) fn new(capacity: usize, ttl: Duration) -> Self {
        Cache {
            entries: Mutex::new(HashMap::new()),
            capacity,
            ttl,
        }
    }

    fn get(&self, url: &str) -> Option<Arc<Certificate>> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(url)
            .filter(|(_, at)| at.elapsed() < self.ttl)
            .map(|(c, _)| c.clone())
    }

    fn put(&self, url: &str, cert: Arc<Certificate>) {
        if self.capacity == 0 {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|_, (_, at)| at.elapsed() < self.ttl);
        while entries.len() >= self.capacity {
            // Full of live entries: drop the oldest.
            let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, (_, at))| *at)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            entries.remove(&oldest);
        }
        entries.insert(url.to_owned(), (cert, Instant::now()));
    }

    /// How many certificates are cached (live or not).
    pub(super) fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or(0)
    }

    /// The certificate at `url`: cached, or downloaded (no redirects, at most `limit` bytes)
    /// and parsed.
    pub(super) async fn fetch(
        &self,
        http: &reqwest::Client,
        url: &Url,
        limit: usize,
    ) -> Result<Arc<Certificate>, VerifyError> {
        if let Some(c) = self.get(url.as_str()) {
            return Ok(c);
        }
        let fetch = |e: reqwest::Error| VerifyError::CertificateFetch(e.without_url().to_string());
        let mut response = http.get(url.clone()).send().await.map_err(fetch)?;
        if !response.status().is_success() {
            return Err(VerifyError::CertificateFetch(format!(
                "the certificate URL answered {}",
                response.status()
            )));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(fetch)? {
            if body.len() + chunk.len() > limit {
                return Err(VerifyError::CertificateFetch(format!(
                    "the certificate is larger than {limit} bytes"
                )));
            }
            body.extend_from_slice(&chunk);
        }
        let cert = Arc::new(parse(&body)?);
        self.put(url.as_str(), cert.clone());
        Ok(cert)
    }
}

/// The certificates of a document: DER (one `.cer`), or PEM (one or more `CERTIFICATE`
/// blocks, the signer first).
pub(super) fn certificates(body: &[u8]) -> Result<Vec<Vec<u8>>, VerifyError> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let Some(text) = std::str::from_utf8(body).ok().filter(|t| t.contains(BEGIN)) else {
        return Ok(vec![body.to_vec()]);
    };
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(BEGIN) {
        let after = &rest[start + BEGIN.len()..];
        let end = after
            .find(END)
            .ok_or_else(|| VerifyError::InvalidCertificate("a PEM block is not closed".into()))?;
        let b64: String = after[..end]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        out.push(
            base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|e| VerifyError::InvalidCertificate(format!("PEM: {e}")))?,
        );
        rest = &after[end + END.len()..];
    }
    Ok(out)
}

/// The OID of `rsaEncryption`.
const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
/// The OID of the `O` (organisation) attribute.
const ORGANIZATION: &str = "2.5.4.10";

fn parse(body: &[u8]) -> Result<Certificate, VerifyError> {
    let mut ders = certificates(body)?.into_iter();
    let der = ders
        .next()
        .ok_or_else(|| VerifyError::InvalidCertificate("no certificate".into()))?;
    let cert = x509_cert::Certificate::from_der(&der)
        .map_err(|e| VerifyError::InvalidCertificate(e.to_string()))?;
    let tbs = &cert.tbs_certificate;
    let spki = &tbs.subject_public_key_info;
    if spki.algorithm.oid.to_string() != RSA_ENCRYPTION {
        return Err(VerifyError::InvalidCertificate(format!(
            "its key is not RSA (algorithm {})",
            spki.algorithm.oid
        )));
    }
    let rsa_key = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| VerifyError::InvalidCertificate("its key is not whole bytes".into()))?
        .to_vec();
    Ok(Certificate {
        subject_orgs: organizations(&tbs.subject),
        issuer_orgs: organizations(&tbs.issuer),
        der: CertificateDer::from(der),
        chain: ders.map(CertificateDer::from).collect(),
        rsa_key,
    })
}

/// The values of the `O` attributes of a name (UTF8String or PrintableString).
fn organizations(name: &x509_cert::name::Name) -> Vec<String> {
    let mut out = Vec::new();
    for rdn in name.0.iter() {
        for atv in rdn.0.iter() {
            if atv.oid.to_string() != ORGANIZATION {
                continue;
            }
            if let Ok(s) = atv.value.decode_as::<Utf8StringRef<'_>>() {
                out.push(s.as_str().to_owned());
            } else if let Ok(s) = atv.value.decode_as::<PrintableStringRef<'_>>() {
                out.push(s.as_str().to_owned());
            }
        }
    }
    out
}

/// Any extended key usage: the signing certificate is no TLS certificate, and Partner Center
/// documents none.
struct AnyUsage;

impl webpki::ExtendedKeyUsageValidator for AnyUsage {
    fn validate(&self, iter: KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        for id in iter {
            id?;
        }
        Ok(())
    }
}

/// Checks the certificate's chain to `roots` (through `intermediates` and any served with
/// it) and its validity period at `now`.
pub(super) fn check_chain(
    cert: &Certificate,
    roots: &[TrustAnchor<'static>],
    intermediates: &[CertificateDer<'static>],
    now: UnixTime,
) -> Result<(), VerifyError> {
    let ee = EndEntityCert::try_from(&cert.der)
        .map_err(|e| VerifyError::InvalidCertificate(format!("{e:?}")))?;
    let mut chain: Vec<CertificateDer<'static>> = cert.chain.clone();
    chain.extend(intermediates.iter().cloned());
    ee.verify_for_usage(
        webpki::ALL_VERIFICATION_ALGS,
        roots,
        &chain,
        now,
        AnyUsage,
        None,
        None,
    )
    .map(|_| ())
    .map_err(|e| match e {
        webpki::Error::CertExpired { .. } => VerifyError::CertificateExpired,
        webpki::Error::CertNotValidYet { .. } => VerifyError::CertificateNotYetValid,
        other => VerifyError::UntrustedCertificate(format!("{other:?}")),
    })
}

/// Checks that the subject's or the issuer's organisation is `expected` (the documentation's
/// sample checks the issuer; Microsoft's signing certificates carry it in both).
pub(super) fn check_organization(cert: &Certificate, expected: &str) -> Result<(), VerifyError> {
    let is = |o: &String| o.trim() == expected;
    if cert.subject_orgs.iter().any(is) || cert.issuer_orgs.iter().any(is) {
        Ok(())
    } else {
        Err(VerifyError::WrongOrganization {
            expected: expected.to_owned(),
            subject: cert.subject_orgs.clone(),
            issuer: cert.issuer_orgs.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificate_urls() {
        let allowed = vec!["3psostorageacct.blob.core.windows.net".to_owned()];
        assert!(
            check_url(
                "https://3psostorageacct.blob.core.windows.net/cert/pcnotifications-dispatch.microsoft.com.cer",
                &allowed,
                false
            )
            .is_ok()
        );
        assert!(matches!(
            check_url(
                "http://3psostorageacct.blob.core.windows.net/c.cer",
                &allowed,
                true
            ),
            Err(VerifyError::CertificateUrlNotHttps(_))
        ));
        assert!(matches!(
            check_url("https://evil.example/c.cer", &allowed, false),
            Err(VerifyError::CertificateHostNotAllowed(_))
        ));
        let local = vec!["127.0.0.1".to_owned()];
        assert!(check_url("http://127.0.0.1:9/c.cer", &local, true).is_ok());
        assert!(matches!(
            check_url("http://127.0.0.1:9/c.cer", &local, false),
            Err(VerifyError::CertificateUrlNotHttps(_))
        ));
        assert!(matches!(
            check_url("not a url", &local, true),
            Err(VerifyError::MalformedHeader { .. })
        ));
    }

    #[test]
    fn pem_bundles_and_der() {
        assert_eq!(
            certificates(b"\x30\x03abc").unwrap(),
            vec![b"\x30\x03abc".to_vec()]
        );
        let pem = "-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nBAU=\n-----END CERTIFICATE-----\n";
        assert_eq!(
            certificates(pem.as_bytes()).unwrap(),
            vec![vec![1, 2, 3], vec![4, 5]]
        );
    }
}
