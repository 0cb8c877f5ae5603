//! The state file's format: what it holds, and the snapshot of a store it is written from.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::partner_center::SavedActions;
use crate::record::Record;

/// The state file's content.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct StateFile {
    pub(super) format: u32,
    pub(super) seed: u64,
    pub(super) next_index: u64,
    pub(super) records: Vec<Record>,
    /// The Partner Center response actions' state; absent from older files and while
    /// nothing was changed (everything `active`).
    #[serde(default)]
    pub(super) actions: SavedActions,
}

/// The format; the `actions` section came later without changing it (older emulators ignore
/// it, and this one reads files without it).
pub(super) const FORMAT: u32 = 1;

/// The state as of one version, for the state file.
pub(crate) struct Snapshot {
    pub(super) version: u64,
    pub(super) next_index: u64,
    pub(super) records: Vec<Arc<Record>>,
    pub(super) actions: SavedActions,
}

impl Snapshot {
    /// With the response actions' state (taken while the store's lock is held).
    pub(crate) fn with_actions(mut self, actions: SavedActions) -> Snapshot {
        self.actions = actions;
        self
    }

    /// The version it holds: the store's plus the actions' (each only grows, so a later
    /// snapshot never has a lower sum, and one with the same sum holds the same state).
    pub(crate) fn version(&self) -> u64 {
        self.version + self.actions.version
    }

    /// The state file's bytes.
    pub(crate) fn to_file_bytes(&self, seed: u64) -> Vec<u8> {
        struct Records<'a>(&'a [Arc<Record>]);
        impl Serialize for Records<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(self.0.iter().map(|r| &**r))
            }
        }
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Out<'a> {
            format: u32,
            seed: u64,
            next_index: u64,
            records: Records<'a>,
            #[serde(skip_serializing_if = "SavedActions::is_empty")]
            actions: &'a SavedActions,
        }
        serde_json::to_vec(&Out {
            format: FORMAT,
            seed,
            next_index: self.next_index,
            records: Records(&self.records),
            actions: &self.actions,
        })
        .expect("the state always serialises")
    }
}
