//! How the command ends: the documented exit codes and the message that goes with them.

use std::fmt;
use std::process::ExitCode;

/// Exit code: everything worked.
pub const OK: u8 = 0;
/// Exit code: the command failed (a service or network error, an alert not found).
pub const ERROR: u8 = 1;
/// Exit code: bad arguments, tenants file or base URL; nothing was sent.
pub const USAGE: u8 = 2;
/// Exit code: some tenants or alerts failed; what succeeded was printed.
pub const PARTIAL: u8 = 3;

/// Why the command did not succeed fully. Its `Display` is the message for stderr.
#[derive(Debug)]
pub enum Failure {
    /// Bad input, refused before anything was sent.
    Usage(String),
    /// The command failed.
    Error(String),
    /// Part of the work failed; each failure was already reported on stderr.
    Partial(String),
    /// Standard output was closed by its reader (`| head`): stop quietly.
    Closed,
}

impl Failure {
    pub fn code(&self) -> ExitCode {
        ExitCode::from(match self {
            Failure::Usage(_) => USAGE,
            Failure::Error(_) => ERROR,
            Failure::Partial(_) => PARTIAL,
            Failure::Closed => OK,
        })
    }

    /// A library error: invalid input or a query the source cannot serve is a usage error
    /// (both are refused before anything is sent), anything else an error, with the request
    /// id support asks for.
    pub fn from_library(e: &partner_alerts::Error) -> Self {
        let message = match e.request_id() {
            Some(id) => format!("{e} (request id {id})"),
            None => e.to_string(),
        };
        match e {
            partner_alerts::Error::InvalidInput(_) | partner_alerts::Error::Unsupported(_) => {
                Failure::Usage(message)
            }
            _ => Failure::Error(message),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Usage(m) | Failure::Error(m) | Failure::Partial(m) => f.write_str(m),
            Failure::Closed => f.write_str("output closed"),
        }
    }
}

impl From<partner_alerts::Error> for Failure {
    fn from(e: partner_alerts::Error) -> Self {
        Failure::from_library(&e)
    }
}

impl From<partner_alerts::InvalidInput> for Failure {
    fn from(e: partner_alerts::InvalidInput) -> Self {
        Failure::Usage(e.to_string())
    }
}

impl From<serde_json::Error> for Failure {
    fn from(e: serde_json::Error) -> Self {
        std::io::Error::from(e).into()
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return Failure::Closed;
        }
        Failure::Error(e.to_string())
    }
}

pub type Outcome<T = ()> = Result<T, Failure>;
