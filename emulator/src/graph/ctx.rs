//! What a Graph request carries besides its method, path and body, and its 400 replies.

use axum::http::StatusCode;
use chrono::{DateTime, Utc};

use crate::envelope::{Ids, Prefer, Reply, graph_error};
use crate::odata::EnumMode;

/// What a Graph request carries besides its method, path and body.
#[derive(Clone, Debug)]
pub(crate) struct Ctx {
    pub ids: Ids,
    pub prefer: Prefer,
    /// `http://host:port/beta`, for absolute links.
    pub base: String,
    pub now: DateTime<Utc>,
}

impl Ctx {
    pub(super) fn mode(&self) -> EnumMode {
        EnumMode {
            include_unknown_members: self.prefer.include_unknown_enum_members,
        }
    }

    pub(super) fn bad_request(&self, message: &str) -> Reply {
        graph_error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            message,
            &self.ids,
            self.now,
        )
    }
}
