//! Verifying webhook callbacks (reference section 5.3) with a test CA and certificates made
//! in the test, served by httpmock on loopback: a valid event verifies, and each defect is
//! its own typed error. No request leaves loopback (refused URLs are refused before any
//! download).

use std::time::Duration;

use base64::Engine as _;
use httpmock::Method::GET;
use httpmock::MockServer;
use partner_alerts::webhooks::{Verifier, VerifierBuilder, VerifyError};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
    SigningKey,
};
use reqwest::header::HeaderMap;

const SIGNING_KEY: &str = include_str!("../emulator/src/webhooks/keys/signing.pem");
const OTHER_KEY: &str = include_str!("../emulator/src/webhooks/keys/other.pem");
const SUB: &str = "2a7064fb-1e33-4007-974e-352cb3f2c805";

fn body(changed: &str) -> Vec<u8> {
    format!(
        r#"{{"EventName":"azure-fraud-event-detected","ResourceUri":"https://api.partnercenter.microsoft.com/v1/fraudEvents?SubscriptionId={SUB}&EventStatus=Active","AuditUri":null,"ResourceChangeUtcDate":"{changed}"}}"#
    )
    .into_bytes()
}

fn now_body() -> Vec<u8> {
    body(&chrono::Utc::now().to_rfc3339())
}

/// A test CA (ECDSA; the chain's algorithm is not the signature's).
fn ca(org: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(DnType::OrganizationName, org);
    p.distinguished_name
        .push(DnType::CommonName, format!("{org} Test Root"));
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p.not_after = rcgen::date_time_ymd(2099, 1, 1);
    CertifiedIssuer::self_signed(p, KeyPair::generate().unwrap()).unwrap()
}

/// The signing certificate for `key`, issued by `ca`.
fn leaf(
    ca: &CertifiedIssuer<'static, KeyPair>,
    key: &KeyPair,
    org: &str,
    not_after: (i32, u8, u8),
) -> Vec<u8> {
    let mut p =
        CertificateParams::new(vec!["pcnotifications-dispatch.microsoft.com".to_owned()]).unwrap();
    p.distinguished_name.push(DnType::OrganizationName, org);
    p.distinguished_name
        .push(DnType::CommonName, "pcnotifications-dispatch.microsoft.com");
    p.not_before = rcgen::date_time_ymd(2000, 1, 1);
    p.not_after = rcgen::date_time_ymd(not_after.0, not_after.1, not_after.2);
    p.signed_by(key, ca).unwrap().der().to_vec()
}

fn rsa(pem: &str) -> KeyPair {
    KeyPair::from_pem(pem).unwrap()
}

fn sign(key: &KeyPair, body: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(key.sign(body).unwrap())
}

fn headers(signature: &str, url: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        "authorization",
        format!("Signature {signature}").parse().unwrap(),
    );
    h.insert("x-ms-certificate-url", url.parse().unwrap());
    h.insert("x-ms-signature-algorithm", "rsa-sha256".parse().unwrap());
    h
}

/// A CA, a signing certificate served at `/cert.cer`, and a verifier trusting the CA.
struct Setup {
    server: MockServer,
    ca: CertifiedIssuer<'static, KeyPair>,
    key: KeyPair,
}

impl Setup {
    fn new() -> Self {
        Setup {
            server: MockServer::start(),
            ca: ca("Microsoft Corporation"),
            key: rsa(SIGNING_KEY),
        }
    }

    /// Serves `der` at `path`, returning its URL.
    fn serve(&self, path: &str, der: Vec<u8>) -> String {
        self.server.mock(|when, then| {
            when.method(GET).path(path.to_owned());
            then.status(200).body(der);
        });
        self.server.url(path)
    }

    fn good_cert(&self) -> String {
        let der = leaf(&self.ca, &self.key, "Microsoft Corporation", (2099, 1, 1));
        self.serve("/cert.cer", der)
    }

    fn builder(&self) -> VerifierBuilder {
        Verifier::builder()
            .allowed_hosts(["127.0.0.1"])
            .allow_http_on_loopback(true)
            .roots_der([self.ca.der().to_vec()])
    }

    fn verifier(&self) -> Verifier {
        self.builder().build().unwrap()
    }
}

#[tokio::test]
async fn a_valid_event_verifies_and_is_typed() {
    let s = Setup::new();
    let url = s.good_cert();
    let body = now_body();
    let event = s
        .verifier()
        .verify(&headers(&sign(&s.key, &body), &url), &body)
        .await
        .unwrap();
    assert!(event.is_fraud_event());
    assert_eq!(event.subscription_id().unwrap().as_str(), SUB);
    assert_eq!(
        event.event_status(),
        Some(partner_alerts::AlertStatus::Active)
    );
}

#[tokio::test]
async fn the_signature_may_come_in_x_ms_signature_instead() {
    let s = Setup::new();
    let url = s.good_cert();
    let body = now_body();
    let mut h = headers("", &url);
    h.remove("authorization");
    h.insert(
        "x-ms-signature",
        format!("Signature {}", sign(&s.key, &body))
            .parse()
            .unwrap(),
    );
    // Something in front kept Authorization for itself.
    h.insert("authorization", "Bearer front-door".parse().unwrap());
    s.verifier().verify(&h, &body).await.unwrap();
}

#[tokio::test]
async fn a_modified_body_is_a_bad_signature() {
    let s = Setup::new();
    let url = s.good_cert();
    let body = now_body();
    let signature = sign(&s.key, &body);
    let mut changed = body.clone();
    changed.extend_from_slice(b" ");
    let e = s
        .verifier()
        .verify(&headers(&signature, &url), &changed)
        .await
        .unwrap_err();
    assert!(matches!(e, VerifyError::BadSignature), "{e}");
    assert_eq!(e.status_code(), 401);
}

#[tokio::test]
async fn a_signature_by_another_key_is_a_bad_signature() {
    let s = Setup::new();
    let url = s.good_cert();
    let body = now_body();
    let e = s
        .verifier()
        .verify(&headers(&sign(&rsa(OTHER_KEY), &body), &url), &body)
        .await
        .unwrap_err();
    assert!(matches!(e, VerifyError::BadSignature), "{e}");
}

#[tokio::test]
async fn an_expired_certificate_is_refused() {
    let s = Setup::new();
    let url = s.serve(
        "/old.cer",
        leaf(&s.ca, &s.key, "Microsoft Corporation", (2001, 1, 1)),
    );
    let body = now_body();
    let e = s
        .verifier()
        .verify(&headers(&sign(&s.key, &body), &url), &body)
        .await
        .unwrap_err();
    assert!(matches!(e, VerifyError::CertificateExpired), "{e}");
}

#[tokio::test]
async fn a_certificate_from_an_untrusted_issuer_is_refused() {
    let s = Setup::new();
    let stranger = ca("Microsoft Corporation");
    let url = s.serve(
        "/stranger.cer",
        leaf(&stranger, &s.key, "Microsoft Corporation", (2099, 1, 1)),
    );
    let body = now_body();
    let e = s
        .verifier()
        .verify(&headers(&sign(&s.key, &body), &url), &body)
        .await
        .unwrap_err();
    assert!(matches!(e, VerifyError::UntrustedCertificate(_)), "{e}");
    // The default roots (Mozilla's) do not trust a test CA either.
    let e = Verifier::builder()
        .allowed_hosts(["127.0.0.1"])
        .allow_http_on_loopback(true)
        .build()
        .unwrap()
        .verify(&headers(&sign(&s.key, &body), &s.good_cert()), &body)
        .await
        .unwrap_err();
    assert!(matches!(e, VerifyError::UntrustedCertificate(_)), "{e}");
}

#[tokio::test]
async fn a_certificate_of_another_organisation_is_refused() {
    let s = Setup::new();
    let contoso = ca("Contoso Ltd");
    let url = s.serve(
        "/contoso.cer",
        leaf(&contoso, &s.key, "Contoso Ltd", (2099, 1, 1)),
    );
    let body = now_body();
    let e = s
        .builder()
        .roots_der([contoso.der().to_vec()])
        .build()
        .unwrap()
        .verify(&headers(&sign(&s.key, &body), &url), &body)
        .await
        .unwrap_err();
    match e {
        VerifyError::WrongOrganization {
            expected,
            subject,
            issuer,
        } => {
            assert_eq!(expected, "Microsoft Corporation");
            assert_eq!(subject, ["Contoso Ltd"]);
            assert_eq!(issuer, ["Contoso Ltd"]);
        }
        other => panic!("{other}"),
    }
}

#[tokio::test]
async fn certificate_urls_must_be_https_and_allow_listed() {
    let s = Setup::new();
    let url = s.good_cert();
    let body = now_body();
    let signature = sign(&s.key, &body);
    // http:// without the test-only escape.
    let strict = Verifier::builder()
        .allowed_hosts(["127.0.0.1"])
        .roots_der([s.ca.der().to_vec()])
        .build()
        .unwrap();
    let e = strict
        .verify(&headers(&signature, &url), &body)
        .await
        .unwrap_err();
    assert!(matches!(e, VerifyError::CertificateUrlNotHttps(_)), "{e}");
    // The escape is for loopback only.
    let e = s
        .verifier()
        .verify(
            &headers(
                &signature,
                "http://3psostorageacct.blob.core.windows.net/c.cer",
            ),
            &body,
        )
        .await
        .unwrap_err();
    assert!(matches!(e, VerifyError::CertificateUrlNotHttps(_)), "{e}");
    // A host off the allow-list, even over https.
    let e = s
        .verifier()
        .verify(&headers(&signature, "https://evil.example/c.cer"), &body)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, VerifyError::CertificateHostNotAllowed(h) if h == "evil.example"),
        "{e}"
    );
    // The default allow-list holds the documented host only.
    let e = Verifier::builder()
        .build()
        .unwrap()
        .verify(&headers(&signature, "https://127.0.0.1/c.cer"), &body)
        .await
        .unwrap_err();
    assert!(
        matches!(e, VerifyError::CertificateHostNotAllowed(_)),
        "{e}"
    );
}

#[tokio::test]
async fn missing_and_malformed_headers_are_refused_as_such() {
    let s = Setup::new();
    let url = s.good_cert();
    let body = now_body();
    let good = headers(&sign(&s.key, &body), &url);
    let v = s.verifier();
    for name in [
        "authorization",
        "x-ms-certificate-url",
        "x-ms-signature-algorithm",
    ] {
        let mut h = good.clone();
        h.remove(name);
        let e = v.verify(&h, &body).await.unwrap_err();
        assert!(matches!(e, VerifyError::MissingHeader(_)), "{name}: {e}");
        assert_eq!(e.status_code(), 400);
    }
    for (name, value) in [
        ("authorization", "Bearer abc"),
        ("authorization", "Signature ***not base64***"),
        ("authorization", "Signature"),
        ("x-ms-certificate-url", "not a url"),
    ] {
        let mut h = good.clone();
        h.insert(name, value.parse().unwrap());
        let e = v.verify(&h, &body).await.unwrap_err();
        assert!(
            matches!(e, VerifyError::MalformedHeader { .. }),
            "{name}: {value}: {e}"
        );
    }
}

#[tokio::test]
async fn algorithms_other_than_rsa_sha2_are_refused() {
    let s = Setup::new();
    let url = s.good_cert();
    let body = now_body();
    let v = s.verifier();
    let mut h = headers(&sign(&s.key, &body), &url);
    for alg in ["hmac-sha256", "rsa-md5", "ecdsa-sha256"] {
        h.insert("x-ms-signature-algorithm", alg.parse().unwrap());
        let e = v.verify(&h, &body).await.unwrap_err();
        assert!(
            matches!(e, VerifyError::UnsupportedAlgorithm(_)),
            "{alg}: {e}"
        );
    }
    h.insert("x-ms-signature-algorithm", "RSA-SHA1".parse().unwrap());
    let e = v.verify(&h, &body).await.unwrap_err();
    assert!(matches!(e, VerifyError::WeakAlgorithm(_)), "{e}");
    // Opted in, SHA-1 is accepted as an algorithm (this SHA-256 signature then fails).
    let e = s
        .builder()
        .allow_sha1(true)
        .build()
        .unwrap()
        .verify(&h, &body)
        .await
        .unwrap_err();
    assert!(matches!(e, VerifyError::BadSignature), "{e}");
    // Case does not matter.
    h.insert("x-ms-signature-algorithm", "RSA-SHA256".parse().unwrap());
    v.verify(&h, &body).await.unwrap();
}

#[tokio::test]
async fn the_freshness_window_is_off_by_default_and_refuses_old_events_when_set() {
    let s = Setup::new();
    let url = s.good_cert();
    let old = body("2018-02-17T00:05:39.5485487+00:00");
    let h = headers(&sign(&s.key, &old), &url);
    s.verifier().verify(&h, &old).await.unwrap();
    let windowed = s
        .builder()
        .max_age(Some(Duration::from_secs(3600)))
        .build()
        .unwrap();
    let e = windowed.verify(&h, &old).await.unwrap_err();
    assert!(matches!(e, VerifyError::Stale { .. }), "{e}");
    let fresh = now_body();
    windowed
        .verify(&headers(&sign(&s.key, &fresh), &url), &fresh)
        .await
        .unwrap();
}

#[tokio::test]
async fn certificates_are_cached_by_url_and_download_failures_ask_for_a_retry() {
    let s = Setup::new();
    let der = leaf(&s.ca, &s.key, "Microsoft Corporation", (2099, 1, 1));
    let mock = s.server.mock(|when, then| {
        when.method(GET).path("/cached.cer");
        then.status(200).body(der);
    });
    let url = s.server.url("/cached.cer");
    let v = s.verifier();
    for _ in 0..3 {
        let body = now_body();
        v.verify(&headers(&sign(&s.key, &body), &url), &body)
            .await
            .unwrap();
    }
    assert_eq!(mock.calls(), 1);
    assert_eq!(v.cached_certificates(), 1);

    let missing = s.server.url("/missing.cer");
    let body = now_body();
    let e = v
        .verify(&headers(&sign(&s.key, &body), &missing), &body)
        .await
        .unwrap_err();
    assert!(matches!(e, VerifyError::CertificateFetch(_)), "{e}");
    assert!(e.is_retryable());
    assert_eq!(e.status_code(), 503);
}

#[tokio::test]
async fn a_signed_body_that_is_no_event_is_refused_after_the_signature() {
    let s = Setup::new();
    let url = s.good_cert();
    let body = b"[1,2,3]".to_vec();
    let e = s
        .verifier()
        .verify(&headers(&sign(&s.key, &body), &url), &body)
        .await
        .unwrap_err();
    assert!(matches!(e, VerifyError::InvalidPayload(_)), "{e}");
}
