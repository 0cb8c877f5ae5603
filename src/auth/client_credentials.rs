use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use serde::Deserialize;
use url::Url;

use super::{AccessToken, Scope, Secret, TokenProvider};
use crate::TenantId;
use crate::endpoint::validate_base_url;
use crate::error::{AuthError, InvalidInput};

const DEFAULT_AUTHORITY: &str = "https://login.microsoftonline.com";

/// The Microsoft identity platform endpoint both credentials post to.
#[derive(Clone)]
struct TokenEndpoint {
    url: Url,
    http: reqwest::Client,
}

impl fmt::Debug for TokenEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.url.as_str())
    }
}

impl TokenEndpoint {
    fn new(authority: &str, tenant: &TenantId) -> Result<Self, InvalidInput> {
        let mut url = validate_base_url("authority host", authority)?;
        url.path_segments_mut()
            .map_err(|_| InvalidInput::new("authority host", "cannot be a base URL"))?
            .pop_if_empty()
            .extend([tenant.as_str(), "oauth2", "v2.0", "token"]);
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| InvalidInput::new("http client", e.to_string()))?;
        Ok(TokenEndpoint { url, http })
    }

    async fn request(&self, form: &[(&str, &str)]) -> Result<TokenResponse, AuthError> {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let response = self
            .http
            .post(self.url.clone())
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| {
                AuthError::new(format!("token request to {} failed", self.url))
                    .transient()
                    .with_source(e.without_url())
            })?;
        let status = response.status();
        let bytes = read_capped(response).await?;
        if !status.is_success() {
            let err: TokenErrorBody = serde_json::from_slice(&bytes).unwrap_or_default();
            let mut e = AuthError::new(format!(
                "the identity platform refused the token request (HTTP {}{}{})",
                status.as_u16(),
                err.error
                    .as_deref()
                    .map(|c| format!(", {c}"))
                    .unwrap_or_default(),
                err.error_description
                    .as_deref()
                    .map(|d| format!(": {}", d.lines().next().unwrap_or(d)))
                    .unwrap_or_default(),
            ))
            .with_code(err.error);
            if status.is_server_error() {
                e = e.transient();
            }
            return Err(e);
        }
        // serde's message could quote the token: say only where it went wrong.
        serde_json::from_slice(&bytes).map_err(|e| {
            AuthError::new(format!(
                "the token response is not the documented JSON (at line {} column {})",
                e.line(),
                e.column()
            ))
        })
    }
}

/// Reads a token endpoint's answer, refusing one larger than an API body may be.
async fn read_capped(mut response: reqwest::Response) -> Result<Vec<u8>, AuthError> {
    let limit = crate::endpoint::DEFAULT_MAX_BODY_BYTES;
    let unreadable = |e: reqwest::Error| {
        AuthError::new("token response could not be read")
            .transient()
            .with_source(e.without_url())
    };
    let too_large = || {
        AuthError::new(format!(
            "the token response is larger than the {limit} byte limit"
        ))
    };
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(unreadable)? {
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default, deserialize_with = "crate::model::wire::opt_u64_lenient")]
    expires_in: Option<u64>,
    #[serde(default)]
    refresh_token: Option<String>,
}

#[derive(Default, Deserialize)]
struct TokenErrorBody {
    error: Option<String>,
    error_description: Option<String>,
}

fn access_token(r: &TokenResponse) -> AccessToken {
    // The v1 endpoint sends expires_in as a string; both are accepted. One hour if absent.
    let lifetime = r.expires_in.unwrap_or(3600).min(i64::MAX as u64 / 1000) as i64;
    AccessToken::new(
        r.access_token.clone(),
        Utc::now() + TimeDelta::seconds(lifetime),
    )
}

fn env(name: &'static str) -> Result<String, InvalidInput> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| InvalidInput::new(name, "environment variable is not set"))
}

/// OAuth 2.0 client credentials (app-only): a tenant, an application id and a client secret,
/// exchanged at the Microsoft identity platform's v2 token endpoint.
///
/// ```
/// use partner_alerts::auth::ClientSecretCredential;
///
/// let cred = ClientSecretCredential::new(
///     "1889e718-414b-4bad-8bbe-c1135bd39a41".parse()?,
///     "app-id",
///     "the-secret",
/// )?;
/// assert!(!format!("{cred:?}").contains("the-secret"));
/// # Ok::<(), partner_alerts::InvalidInput>(())
/// ```
#[derive(Clone, Debug)]
pub struct ClientSecretCredential {
    tenant: TenantId,
    client_id: String,
    secret: Secret,
    endpoint: TokenEndpoint,
}

impl ClientSecretCredential {
    /// A credential against the global identity platform.
    ///
    /// # Errors
    /// [`InvalidInput`] if the client id is empty.
    pub fn new(
        tenant: TenantId,
        client_id: impl Into<String>,
        client_secret: impl Into<Secret>,
    ) -> Result<Self, InvalidInput> {
        let client_id = client_id.into();
        if client_id.trim().is_empty() {
            return Err(InvalidInput::new("client id", "must not be empty"));
        }
        let endpoint = TokenEndpoint::new(DEFAULT_AUTHORITY, &tenant)?;
        Ok(ClientSecretCredential {
            tenant,
            client_id,
            secret: client_secret.into(),
            endpoint,
        })
    }

    /// From `AZURE_TENANT_ID`, `AZURE_CLIENT_ID` and `AZURE_CLIENT_SECRET`, as azure-identity
    /// reads them.
    ///
    /// # Errors
    /// [`InvalidInput`] naming the first variable that is missing or invalid.
    pub fn from_env() -> Result<Self, InvalidInput> {
        let tenant = TenantId::new(env("AZURE_TENANT_ID")?)?;
        Self::new(tenant, env("AZURE_CLIENT_ID")?, env("AZURE_CLIENT_SECRET")?)
    }

    /// Posts to another authority host (a national cloud, or a local test server); `http://`
    /// only for loopback.
    ///
    /// # Errors
    /// [`InvalidInput`] if the URL is not `https://` (or `http://` on loopback).
    pub fn with_authority_host(mut self, authority: &str) -> Result<Self, InvalidInput> {
        self.endpoint = TokenEndpoint::new(authority, &self.tenant)?;
        Ok(self)
    }
}

#[async_trait::async_trait]
impl TokenProvider for ClientSecretCredential {
    async fn token(&self, scope: &Scope) -> Result<AccessToken, AuthError> {
        let r = self
            .endpoint
            .request(&[
                ("client_id", &self.client_id),
                ("scope", scope.as_str()),
                ("client_secret", self.secret.expose_secret()),
                ("grant_type", "client_credentials"),
            ])
            .await?;
        Ok(access_token(&r))
    }
}

/// OAuth 2.0 refresh token (app + user, the "secure application model"): the flow Partner
/// Center requires for FraudEvents.
///
/// A partner user signs in once with MFA; the refresh token obtained then is exchanged here
/// for access tokens. Each exchange may return a new refresh token: this credential keeps the
/// newest, and [`RefreshTokenCredential::current_refresh_token`] gives it to you to store
/// (Partner Center asks that it be renewed at least every 90 days).
#[derive(Debug)]
pub struct RefreshTokenCredential {
    tenant: TenantId,
    client_id: String,
    client_secret: Option<Secret>,
    refresh_token: Mutex<Secret>,
    endpoint: TokenEndpoint,
}

impl RefreshTokenCredential {
    /// A credential for a confidential (web) app; pass `None` as the secret for a public
    /// client.
    ///
    /// # Errors
    /// [`InvalidInput`] if the client id or refresh token is empty.
    pub fn new(
        tenant: TenantId,
        client_id: impl Into<String>,
        client_secret: Option<Secret>,
        refresh_token: impl Into<Secret>,
    ) -> Result<Self, InvalidInput> {
        let client_id = client_id.into();
        if client_id.trim().is_empty() {
            return Err(InvalidInput::new("client id", "must not be empty"));
        }
        let refresh_token = refresh_token.into();
        if refresh_token.expose_secret().trim().is_empty() {
            return Err(InvalidInput::new("refresh token", "must not be empty"));
        }
        Ok(RefreshTokenCredential {
            endpoint: TokenEndpoint::new(DEFAULT_AUTHORITY, &tenant)?,
            tenant,
            client_id,
            client_secret,
            refresh_token: Mutex::new(refresh_token),
        })
    }

    /// From `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `PARTNER_CENTER_REFRESH_TOKEN` and, if set,
    /// `AZURE_CLIENT_SECRET`.
    ///
    /// # Errors
    /// [`InvalidInput`] naming the first variable that is missing or invalid.
    pub fn from_env() -> Result<Self, InvalidInput> {
        let tenant = TenantId::new(env("AZURE_TENANT_ID")?)?;
        Self::new(
            tenant,
            env("AZURE_CLIENT_ID")?,
            env("AZURE_CLIENT_SECRET").ok().map(Secret::from),
            env("PARTNER_CENTER_REFRESH_TOKEN")?,
        )
    }

    /// Posts to another authority host; `http://` only for loopback.
    ///
    /// # Errors
    /// [`InvalidInput`] if the URL is not `https://` (or `http://` on loopback).
    pub fn with_authority_host(mut self, authority: &str) -> Result<Self, InvalidInput> {
        self.endpoint = TokenEndpoint::new(authority, &self.tenant)?;
        Ok(self)
    }

    /// The newest refresh token: store it after each use of the credential.
    pub fn current_refresh_token(&self) -> Secret {
        self.refresh_token
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

#[async_trait::async_trait]
impl TokenProvider for RefreshTokenCredential {
    async fn token(&self, scope: &Scope) -> Result<AccessToken, AuthError> {
        let refresh = self.current_refresh_token();
        let mut form = vec![
            ("client_id", self.client_id.as_str()),
            ("scope", scope.as_str()),
            ("refresh_token", refresh.expose_secret()),
            ("grant_type", "refresh_token"),
        ];
        if let Some(secret) = &self.client_secret {
            form.push(("client_secret", secret.expose_secret()));
        }
        let r = self.endpoint.request(&form).await?;
        if let Some(new) = r.refresh_token.as_deref().filter(|t| !t.is_empty()) {
            *self.refresh_token.lock().unwrap_or_else(|p| p.into_inner()) = Secret::new(new);
        }
        Ok(access_token(&r))
    }
}
