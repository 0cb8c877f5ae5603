//! What the services' error bodies say: code, message, the ids inside, and the permission
//! a 403 is about.

use serde::Deserialize;

use crate::error::Api;

/// The permission an operation needs, named in a 403 when the service does not say.
pub(super) fn required_permission(api: Api, operation: &str) -> &'static str {
    match (api, operation) {
        (Api::Graph, "update") => "PartnerSecurity.ReadWrite.All",
        (Api::Graph, _) => "PartnerSecurity.Read.All",
        (Api::PartnerCenter, "respond") => {
            "an App+User token of a user with the Global Administrator and Admin Agent roles"
        }
        (Api::PartnerCenter, _) => "an App+User token of a user with the Admin Agent role",
    }
}

/// A permission named in a service message, such as `PartnerSecurity.ReadWrite.All`.
pub(super) fn permission_in(message: &str) -> Option<String> {
    message
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '.'))
        .map(|w| w.trim_matches('.'))
        .find(|w| {
            w.matches('.').count() >= 2
                && (w.ends_with(".All") || w.contains("Read") || w.contains("Write"))
        })
        .map(str::to_owned)
}

#[derive(Default)]
pub(super) struct ErrorBody {
    pub(super) code: Option<String>,
    pub(super) message: Option<String>,
    pub(super) inner: Option<InnerError>,
}

#[derive(Default, Deserialize)]
pub(super) struct InnerError {
    #[serde(rename = "request-id", alias = "requestId")]
    pub(super) request_id: Option<String>,
    pub(super) date: Option<String>,
}

impl ErrorBody {
    pub(super) fn parse(api: Api, body: &[u8]) -> ErrorBody {
        #[derive(Deserialize)]
        struct GraphBody {
            error: GraphError,
        }
        #[derive(Deserialize)]
        struct GraphError {
            code: Option<String>,
            message: Option<String>,
            #[serde(rename = "innerError", alias = "innererror")]
            inner: Option<InnerError>,
        }
        #[derive(Deserialize)]
        struct PcBody {
            #[serde(default, deserialize_with = "number_or_string")]
            code: Option<String>,
            description: Option<String>,
            // The throttling answer's own shape.
            message: Option<String>,
            #[serde(rename = "statusCode", default, deserialize_with = "number_or_string")]
            status_code: Option<String>,
        }
        fn number_or_string<'de, D: serde::Deserializer<'de>>(
            d: D,
        ) -> Result<Option<String>, D::Error> {
            Ok(match Option::<serde_json::Value>::deserialize(d)? {
                Some(serde_json::Value::String(s)) => Some(s),
                Some(serde_json::Value::Number(n)) => Some(n.to_string()),
                _ => None,
            })
        }
        // Graph's shape first: Partner Center fronts some answers with it too.
        if let Ok(g) = serde_json::from_slice::<GraphBody>(body) {
            return ErrorBody {
                code: g.error.code,
                message: g.error.message,
                inner: g.error.inner,
            };
        }
        if api == Api::PartnerCenter
            && let Ok(p) = serde_json::from_slice::<PcBody>(body)
        {
            return ErrorBody {
                code: p.code.or(p.status_code),
                message: p.description.or(p.message),
                inner: None,
            };
        }
        // Not JSON: keep a short, single-line start of the text as the message.
        let text = String::from_utf8_lossy(&body[..body.len().min(200)]);
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        ErrorBody {
            message: (!text.is_empty()).then_some(text),
            ..ErrorBody::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies() {
        let g = br#"{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges.","innerError":{"date":"2025-02-13T10:17:06","request-id":"93b6f17e","client-request-id":"e70c5c1b"}}}"#;
        let b = ErrorBody::parse(Api::Graph, g);
        assert_eq!(b.code.as_deref(), Some("Authorization_RequestDenied"));
        assert_eq!(
            b.inner.as_ref().and_then(|i| i.request_id.as_deref()),
            Some("93b6f17e")
        );
        let p = br#"{"code": 3000, "description": "Partner Organization not found", "data": [], "source": "PartnerFD"}"#;
        let b = ErrorBody::parse(Api::PartnerCenter, p);
        assert_eq!(b.code.as_deref(), Some("3000"));
        assert_eq!(b.message.as_deref(), Some("Partner Organization not found"));
        let t = br#"{ "statusCode": 429, "message": "Rate limit is exceeded. Try again in 57 seconds." }"#;
        let b = ErrorBody::parse(Api::PartnerCenter, t);
        assert_eq!(b.code.as_deref(), Some("429"));
        let b = ErrorBody::parse(Api::Graph, b"<html>\n Bad   gateway </html>");
        assert_eq!(b.message.as_deref(), Some("<html> Bad gateway </html>"));
    }

    #[test]
    fn permissions_named_in_messages() {
        assert_eq!(
            permission_in(
                "Missing role permissions. API requires one of 'PartnerSecurity.ReadWrite.All'."
            )
            .as_deref(),
            Some("PartnerSecurity.ReadWrite.All")
        );
        assert_eq!(
            permission_in("Insufficient privileges to complete the operation."),
            None
        );
    }
}
