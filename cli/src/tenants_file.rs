//! The `--tenants` file: which partner tenants to read, and where their secrets are. Secrets
//! themselves are never in it, only the names of the environment variables holding them.

use std::path::Path;
use std::sync::Arc;

use partner_alerts::auth::{
    ClientSecretCredential, RefreshTokenCredential, Secret, StaticToken, TokenProvider,
};
use partner_alerts::{SourceKind, TenantId};
use serde::Deserialize;
use toml::Spanned;

use crate::exit::Failure;

/// One tenant of the file, checked but with its secrets not yet read.
#[derive(Debug)]
pub struct TenantSpec {
    pub name: String,
    pub kind: SourceKind,
    pub base_url: Option<String>,
    credential: CredentialSpec,
    /// Where the tenant's entry starts, for messages.
    pub line: usize,
}

#[derive(Debug)]
enum CredentialSpec {
    Token {
        var: String,
    },
    ClientSecret {
        tenant_id: TenantId,
        client_id: String,
        secret_var: String,
    },
    RefreshToken {
        tenant_id: TenantId,
        client_id: String,
        refresh_var: String,
        secret_var: Option<String>,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    tenant: Vec<Spanned<Entry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    name: Spanned<String>,
    source: Option<Spanned<String>>,
    base_url: Option<String>,
    token_env: Option<String>,
    tenant_id: Option<Spanned<String>>,
    client_id: Option<String>,
    client_secret_env: Option<String>,
    refresh_token_env: Option<String>,
    // Named only to refuse them with a clear message: a secret inline is never read.
    token: Option<Spanned<toml::Value>>,
    client_secret: Option<Spanned<toml::Value>>,
    refresh_token: Option<Spanned<toml::Value>>,
    secret: Option<Spanned<toml::Value>>,
    password: Option<Spanned<toml::Value>>,
}

/// Reads and checks the file: every problem is a usage error naming the file, the line and
/// the tenant.
pub fn load(path: &Path) -> Result<Vec<TenantSpec>, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::Usage(format!("tenants file {}: {e}", path.display())))?;
    parse(&text).map_err(|m| Failure::Usage(format!("tenants file {}: {m}", path.display())))
}

fn parse(text: &str) -> Result<Vec<TenantSpec>, String> {
    let file: File = toml::from_str(text).map_err(|e| e.to_string().trim_end().to_owned())?;
    if file.tenant.is_empty() {
        return Err("no [[tenant]] entries".into());
    }
    let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
    let mut specs: Vec<TenantSpec> = Vec::with_capacity(file.tenant.len());
    for entry in file.tenant {
        let line = line_of(entry.span().start);
        let e = entry.into_inner();
        let name = e.name.get_ref().trim().to_owned();
        let at = |offset: usize, what: String| {
            format!("line {}: tenant {name:?}: {what}", line_of(offset))
        };
        if name.is_empty() {
            return Err(format!(
                "line {}: a tenant's name is empty",
                line_of(e.name.span().start)
            ));
        }
        if let Some(first) = specs.iter().find(|s| s.name == name) {
            return Err(at(
                e.name.span().start,
                format!("named twice (first on line {})", first.line),
            ));
        }
        for (key, value) in [
            ("token", &e.token),
            ("client_secret", &e.client_secret),
            ("refresh_token", &e.refresh_token),
            ("secret", &e.secret),
            ("password", &e.password),
        ] {
            if let Some(v) = value {
                return Err(at(
                    v.span().start,
                    format!(
                        "`{key}` holds a secret inline; put it in an environment variable and name the variable (`{}`)",
                        if key == "token" {
                            "token_env".to_owned()
                        } else {
                            format!("{key}_env")
                        }
                    ),
                ));
            }
        }
        let kind = match e.source.as_ref().map(|s| s.get_ref().as_str()) {
            None | Some("graph") => SourceKind::Graph,
            Some("fraud-events") => SourceKind::FraudEvents,
            Some(other) => {
                return Err(at(
                    e.source.as_ref().map_or(0, |s| s.span().start),
                    format!("unknown source {other:?} (graph or fraud-events)"),
                ));
            }
        };
        let credential = match (&e.token_env, &e.tenant_id, &e.client_id) {
            (Some(var), None, None) => CredentialSpec::Token { var: var.clone() },
            (None, Some(tenant), Some(client)) => {
                let tenant_id = TenantId::new(tenant.get_ref().as_str())
                    .map_err(|err| at(tenant.span().start, format!("tenant_id: {err}")))?;
                match kind {
                    SourceKind::FraudEvents => CredentialSpec::RefreshToken {
                        tenant_id,
                        client_id: client.clone(),
                        refresh_var: e.refresh_token_env.clone().ok_or_else(|| {
                            format!(
                                "line {line}: tenant {name:?}: fraud-events needs refresh_token_env (Partner Center wants app + user)"
                            )
                        })?,
                        secret_var: e.client_secret_env.clone(),
                    },
                    _ => CredentialSpec::ClientSecret {
                        tenant_id,
                        client_id: client.clone(),
                        secret_var: e.client_secret_env.clone().ok_or_else(|| {
                            format!("line {line}: tenant {name:?}: client_secret_env is missing")
                        })?,
                    },
                }
            }
            (Some(_), _, _) => {
                return Err(format!(
                    "line {line}: tenant {name:?}: token_env and tenant_id/client_id both given; use one"
                ));
            }
            _ => {
                return Err(format!(
                    "line {line}: tenant {name:?}: no credential: give token_env, or tenant_id, client_id and client_secret_env"
                ));
            }
        };
        specs.push(TenantSpec {
            name,
            kind,
            base_url: e.base_url,
            credential,
            line,
        });
    }
    Ok(specs)
}

impl TenantSpec {
    /// Reads the tenant's secrets from the environment: an unset variable is a usage error
    /// naming the tenant, its line and the variable.
    pub fn credential(&self) -> Result<Arc<dyn TokenProvider>, Failure> {
        let fail = |what: String| {
            Failure::Usage(format!(
                "tenants file line {}: tenant {:?}: {what}",
                self.line, self.name
            ))
        };
        let var = |name: &str| -> Result<Secret, Failure> {
            match std::env::var(name) {
                Ok(v) if !v.trim().is_empty() => Ok(Secret::new(v.trim().to_owned())),
                _ => Err(fail(format!("environment variable {name} is not set"))),
            }
        };
        Ok(match &self.credential {
            CredentialSpec::Token { var: name } => Arc::new(StaticToken::new(var(name)?)),
            CredentialSpec::ClientSecret {
                tenant_id,
                client_id,
                secret_var,
            } => Arc::new(
                ClientSecretCredential::new(tenant_id.clone(), client_id, var(secret_var)?)
                    .map_err(|e| fail(e.to_string()))?,
            ),
            CredentialSpec::RefreshToken {
                tenant_id,
                client_id,
                refresh_var,
                secret_var,
            } => {
                let secret = secret_var.as_deref().map(var).transpose()?;
                Arc::new(
                    RefreshTokenCredential::new(
                        tenant_id.clone(),
                        client_id,
                        secret,
                        var(refresh_var)?,
                    )
                    .map_err(|e| fail(e.to_string()))?,
                )
            }
        })
    }

    /// For messages about the tenant's client.
    pub fn describe(&self, what: impl std::fmt::Display) -> Failure {
        Failure::Usage(format!(
            "tenants file line {}: tenant {:?}: {what}",
            self.line, self.name
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        parse(text).unwrap_err()
    }

    #[test]
    fn reads_both_kinds_of_credential() {
        let specs = parse(
            r#"
[[tenant]]
name = "contoso"
token_env = "CONTOSO_TOKEN"

[[tenant]]
name = "fabrikam"
source = "fraud-events"
base_url = "https://api.partnercenter.microsoft.com"
tenant_id = "8f1a1a52-0fa4-4b0e-9b43-52a6f4d8c1a0"
client_id = "app"
refresh_token_env = "FABRIKAM_REFRESH"
"#,
        )
        .unwrap();
        assert_eq!(specs.len(), 2);
        assert_eq!(
            (specs[0].name.as_str(), specs[0].kind, specs[0].line),
            ("contoso", SourceKind::Graph, 2)
        );
        assert_eq!((specs[1].kind, specs[1].line), (SourceKind::FraudEvents, 6));
        assert!(matches!(
            specs[1].credential,
            CredentialSpec::RefreshToken { .. }
        ));
    }

    #[test]
    fn an_inline_secret_is_refused_with_its_line_and_tenant() {
        let m = err("[[tenant]]\nname = \"contoso\"\nclient_secret = \"hunter2\"\n");
        assert!(
            m.contains("line 3") && m.contains("contoso") && m.contains("client_secret_env"),
            "{m}"
        );
        assert!(!m.contains("hunter2"), "{m}");
        let m = err("[[tenant]]\nname = \"a\"\ntoken = \"eyJ0\"\n");
        assert!(
            m.contains("line 3") && m.contains("token_env") && !m.contains("eyJ0"),
            "{m}"
        );
    }

    #[test]
    fn malformed_files_are_refused_clearly() {
        assert!(err("").contains("no [[tenant]]"));
        assert!(err("[[tenant]]\nname = \"a\"\n").contains("no credential"));
        assert!(
            err("[[tenant]]\nname = \"a\"\ntoken_env = \"X\"\nsource = \"ews\"\n")
                .contains("unknown source")
        );
        let m = err(
            "[[tenant]]\nname = \"a\"\ntoken_env = \"X\"\n[[tenant]]\nname = \"a\"\ntoken_env = \"Y\"\n",
        );
        assert!(
            m.contains("line 5") && m.contains("named twice (first on line 1)"),
            "{m}"
        );
        let m = err("[[tenant]]\nname = \"a\"\ntoken_env = \"X\"\ncolour = \"blue\"\n");
        assert!(m.contains("colour") && m.contains("line 4"), "{m}");
        let m = err(
            "[[tenant]]\nname = \"a\"\ntenant_id = \"not/a/tenant\"\nclient_id = \"c\"\nclient_secret_env = \"S\"\n",
        );
        assert!(m.contains("line 3") && m.contains("tenant_id"), "{m}");
        assert!(err("[[tenant]]\nname = \"a\"\nsource = \"fraud-events\"\ntenant_id = \"t\"\nclient_id = \"c\"\n").contains("refresh_token_env"));
    }

    #[test]
    fn an_unset_variable_names_the_tenant_the_line_and_the_variable() {
        let specs = parse(
            "\n[[tenant]]\nname = \"contoso\"\ntoken_env = \"PARTNER_ALERTS_TEST_SURELY_UNSET\"\n",
        )
        .unwrap();
        let m = specs[0].credential().err().unwrap().to_string();
        assert!(
            m.contains("line 2")
                && m.contains("contoso")
                && m.contains("PARTNER_ALERTS_TEST_SURELY_UNSET"),
            "{m}"
        );
    }
}
