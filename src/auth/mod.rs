//! Tokens: the [`TokenProvider`] trait, its implementations, and the cache every client wraps
//! them in.
//!
//! | Provider | Flow | For |
//! |---|---|---|
//! | [`StaticToken`] | a token you already have | tests, short scripts, `PARTNER_ALERTS_TOKEN` |
//! | [`ClientSecretCredential`] | OAuth 2.0 client credentials (app-only) | Graph with application permissions |
//! | [`RefreshTokenCredential`] | OAuth 2.0 refresh token (app + user) | Partner Center, Graph delegated |
//! | `AzureCredential` (feature `azure-identity`) | any `azure_identity` credential | managed identity, Azure CLI, workload identity |
//!
//! Providers need not cache: each client wraps its provider in a cache that reuses a token
//! until shortly before it expires, fetches it once however many requests wait for it, and
//! drops it when the service answers 401.
//!
//! Secrets (client secrets, refresh tokens, access tokens) live in [`Secret`], whose `Debug`
//! and `Display` print a placeholder.

#[cfg(feature = "azure-identity")]
mod azure;
mod cache;
mod client_credentials;

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};

#[cfg(feature = "azure-identity")]
pub use azure::AzureCredential;
pub(crate) use cache::TokenCache;
pub use client_credentials::{ClientSecretCredential, RefreshTokenCredential};

use crate::error::{AuthError, InvalidInput};

/// A secret string: its `Debug` and `Display` never show it, and it does not implement
/// `Serialize`.
///
/// ```
/// use partner_alerts::auth::Secret;
///
/// let s = Secret::new("hunter2");
/// assert_eq!(format!("{s:?} {s}"), "Secret(****) ****");
/// assert_eq!(s.expose_secret(), "hunter2");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Box<str>);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into().into_boxed_str())
    }

    /// The secret itself; call only where it must be sent.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(****)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("****")
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret::new(s)
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret::new(s)
    }
}

/// An access token and when it expires. Built with [`AccessToken::new`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct AccessToken {
    /// The bearer token.
    pub token: Secret,
    /// When the token stops being valid.
    pub expires_at: DateTime<Utc>,
}

impl AccessToken {
    /// A token valid until `expires_at`.
    pub fn new(token: impl Into<Secret>, expires_at: DateTime<Utc>) -> Self {
        AccessToken {
            token: token.into(),
            expires_at,
        }
    }
}

/// The resource a token is for, as an OAuth 2.0 v2 scope.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Scope(Cow<'static, str>);

impl Scope {
    /// Microsoft Graph with the app's consented permissions.
    pub const GRAPH: Scope = Scope(Cow::Borrowed("https://graph.microsoft.com/.default"));
    /// Partner Center with the app's consented permissions.
    pub const PARTNER_CENTER: Scope = Scope(Cow::Borrowed(
        "https://api.partnercenter.microsoft.com/.default",
    ));

    /// Any other scope.
    pub fn new(scope: impl Into<String>) -> Self {
        Scope(Cow::Owned(scope.into()))
    }

    /// The scope string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Something that can produce bearer tokens.
///
/// Implementations need not cache: the clients wrap every provider in a cache (refresh five
/// minutes before expiry, one fetch at a time, dropped on a 401). Implement it to plug in any
/// other source of tokens (a secret store, a sidecar, a test double).
///
/// ```
/// use partner_alerts::auth::{AccessToken, Scope, TokenProvider};
/// use partner_alerts::error::AuthError;
///
/// #[derive(Debug)]
/// struct FromVault;
///
/// #[async_trait::async_trait]
/// impl TokenProvider for FromVault {
///     async fn token(&self, _scope: &Scope) -> Result<AccessToken, AuthError> {
///         Ok(AccessToken::new("token-from-vault", chrono::Utc::now() + chrono::TimeDelta::hours(1)))
///     }
/// }
/// ```
#[async_trait::async_trait]
pub trait TokenProvider: Send + Sync + fmt::Debug {
    /// A token for `scope`.
    async fn token(&self, scope: &Scope) -> Result<AccessToken, AuthError>;
}

/// A shared provider is a provider: pass an `Arc` to as many clients as should share it.
#[async_trait::async_trait]
impl<T: TokenProvider + ?Sized> TokenProvider for Arc<T> {
    async fn token(&self, scope: &Scope) -> Result<AccessToken, AuthError> {
        (**self).token(scope).await
    }
}

/// A token you already hold, used as is for every request.
///
/// ```
/// use partner_alerts::auth::StaticToken;
/// let t = StaticToken::new("eyJ0eXAi...");
/// assert!(!format!("{t:?}").contains("eyJ0"));
/// ```
#[derive(Clone, Debug)]
pub struct StaticToken {
    token: Secret,
}

impl StaticToken {
    /// The variable [`StaticToken::from_env`] reads.
    pub const ENV_VAR: &'static str = "PARTNER_ALERTS_TOKEN";

    /// Wraps a token.
    pub fn new(token: impl Into<Secret>) -> Self {
        StaticToken {
            token: token.into(),
        }
    }

    /// The token in `PARTNER_ALERTS_TOKEN`, if set and not empty.
    pub fn from_env() -> Option<Self> {
        std::env::var(Self::ENV_VAR)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .map(|v| StaticToken::new(v.trim().to_owned()))
    }
}

#[async_trait::async_trait]
impl TokenProvider for StaticToken {
    async fn token(&self, _scope: &Scope) -> Result<AccessToken, AuthError> {
        Ok(AccessToken::new(
            self.token.clone(),
            DateTime::<Utc>::MAX_UTC,
        ))
    }
}

/// The credential a program finds in its environment for `kind`'s API, the one way the
/// examples and the `partner-alerts` command read it:
///
/// | Variables | Credential | For |
/// |---|---|---|
/// | `PARTNER_ALERTS_TOKEN` | [`StaticToken`] | either API (checked first) |
/// | `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET` | [`ClientSecretCredential`] | Graph |
/// | `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `PARTNER_CENTER_REFRESH_TOKEN`, optional `AZURE_CLIENT_SECRET` | [`RefreshTokenCredential`] | FraudEvents (Partner Center wants app + user) |
///
/// `None` when none of these is set; an [`InvalidInput`] naming the variable when a set is
/// incomplete or invalid (so a typo is not mistaken for "no credentials").
///
/// ```
/// use partner_alerts::SourceKind;
/// use partner_alerts::auth::credential_from_env;
///
/// match credential_from_env(SourceKind::Graph) {
///     Ok(Some(_)) => println!("credentials found"),
///     Ok(None) => println!("no credentials: set PARTNER_ALERTS_TOKEN, or AZURE_TENANT_ID, ..."),
///     Err(e) => eprintln!("{e}"),
/// }
/// ```
pub fn credential_from_env(
    kind: crate::SourceKind,
) -> Result<Option<Arc<dyn TokenProvider>>, InvalidInput> {
    if let Some(t) = StaticToken::from_env() {
        return Ok(Some(Arc::new(t)));
    }
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    match kind {
        crate::SourceKind::FraudEvents => {
            if !set("PARTNER_CENTER_REFRESH_TOKEN") && !set("AZURE_CLIENT_ID") {
                return Ok(None);
            }
            Ok(Some(Arc::new(RefreshTokenCredential::from_env()?)))
        }
        _ => {
            if !set("AZURE_CLIENT_SECRET") && !set("AZURE_CLIENT_ID") {
                return Ok(None);
            }
            Ok(Some(Arc::new(ClientSecretCredential::from_env()?)))
        }
    }
}
