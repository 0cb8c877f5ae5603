//! Any `azure_core` credential as a [`TokenProvider`] (feature `azure-identity`).

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use azure_core::credentials::TokenCredential;
use azure_core::error::ErrorKind;
use chrono::{DateTime, Utc};

use super::{AccessToken, Scope, TokenProvider};
use crate::error::AuthError;

/// A credential of the Azure SDK for Rust (`azure_identity`'s `ManagedIdentityCredential`,
/// `AzureCliCredential`, `DeveloperToolsCredential`, `WorkloadIdentityCredential`, ...) used
/// as this crate's token provider.
///
/// The client's cache still applies on top, so the credential is asked once per token
/// lifetime. Connection failures and 429 / 5xx answers from the identity endpoint are
/// reported as transient.
///
/// ```no_run
/// use std::sync::Arc;
/// use azure_core::credentials::TokenCredential;
/// use partner_alerts::GraphClient;
/// use partner_alerts::auth::AzureCredential;
///
/// // `credential` from azure_identity, e.g. `ManagedIdentityCredential::new(None)?`.
/// fn client(credential: Arc<dyn TokenCredential>) -> partner_alerts::Result<GraphClient> {
///     GraphClient::builder()
///         .credential(AzureCredential::new(credential))
///         .build()
/// }
/// ```
#[derive(Clone)]
pub struct AzureCredential {
    inner: Arc<dyn TokenCredential>,
}

impl AzureCredential {
    /// Wraps an Azure SDK credential.
    pub fn new(credential: Arc<dyn TokenCredential>) -> Self {
        AzureCredential { inner: credential }
    }
}

impl fmt::Debug for AzureCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The Azure SDK's own Debug output redacts its secrets; ours adds none.
        f.debug_tuple("AzureCredential").field(&self.inner).finish()
    }
}

#[async_trait]
impl TokenProvider for AzureCredential {
    async fn token(&self, scope: &Scope) -> Result<AccessToken, AuthError> {
        let token = self
            .inner
            .get_token(&[scope.as_str()], None)
            .await
            .map_err(auth_error)?;
        let expires = token.expires_on;
        let expires_at =
            DateTime::<Utc>::from_timestamp(expires.unix_timestamp(), expires.nanosecond())
                .ok_or_else(|| {
                    AuthError::new("the Azure credential returned an out-of-range expiry")
                })?;
        Ok(AccessToken::new(token.token.secret(), expires_at))
    }
}

fn auth_error(e: azure_core::Error) -> AuthError {
    let transient = matches!(e.kind(), ErrorKind::Connection | ErrorKind::Io)
        || e.http_status()
            .is_some_and(|s| s.is_server_error() || u16::from(s) == 429);
    let error = AuthError::new(format!("the Azure credential failed: {e}")).with_source(e);
    if transient { error.transient() } else { error }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use azure_core::credentials::{self, TokenRequestOptions};
    use azure_core::time::OffsetDateTime;

    use super::*;

    #[derive(Debug, Default)]
    struct Fake {
        scopes: Mutex<Vec<String>>,
        fail: Option<ErrorKind>,
    }

    #[async_trait]
    impl TokenCredential for Fake {
        async fn get_token(
            &self,
            scopes: &[&str],
            _: Option<TokenRequestOptions<'_>>,
        ) -> azure_core::Result<credentials::AccessToken> {
            self.scopes
                .lock()
                .unwrap()
                .extend(scopes.iter().map(|s| s.to_string()));
            if let Some(kind) = &self.fail {
                return Err(azure_core::Error::with_message(
                    kind.clone(),
                    "no token here",
                ));
            }
            Ok(credentials::AccessToken::new(
                "azure-secret-token",
                OffsetDateTime::from_unix_timestamp(1_900_000_000).unwrap(),
            ))
        }
    }

    #[tokio::test]
    async fn passes_the_scope_and_converts_the_token() {
        let fake = Arc::new(Fake::default());
        let provider = AzureCredential::new(fake.clone());
        let token = provider.token(&Scope::GRAPH).await.unwrap();
        assert_eq!(token.token.expose_secret(), "azure-secret-token");
        assert_eq!(token.expires_at.timestamp(), 1_900_000_000);
        assert_eq!(
            *fake.scopes.lock().unwrap(),
            ["https://graph.microsoft.com/.default"]
        );
        assert!(!format!("{provider:?} {token:?}").contains("azure-secret-token"));
    }

    #[tokio::test]
    async fn failures_are_auth_errors_transient_only_for_connection_problems() {
        for (kind, transient) in [
            (ErrorKind::Connection, true),
            (ErrorKind::Credential, false),
        ] {
            let provider = AzureCredential::new(Arc::new(Fake {
                fail: Some(kind),
                ..Fake::default()
            }));
            let e = provider.token(&Scope::GRAPH).await.unwrap_err();
            assert!(e.to_string().contains("no token here"), "{e}");
            assert_eq!(e.is_transient(), transient);
        }
    }
}
