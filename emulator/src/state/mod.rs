//! The emulator's state: the alerts both APIs serve, their Partner Center ids and names, and
//! the state file that keeps them across restarts.

mod change;
mod file;
mod persist;
mod store;

pub use change::EMULATOR_UPN;
pub(crate) use change::{change_status, normalize_given, to_ticks};
pub(crate) use persist::{Persister, StateWriter};
pub(crate) use store::Store;
