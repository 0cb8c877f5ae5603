//! The state file's format: what it holds, and the snapshot of a store it is written from.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::record::Record;

/// The state file's content.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct StateFile {
    pub(super) format: u32,
    pub(super) seed: u64,
    pub(super) next_index: u64,
    pub(super) records: Vec<Record>,
}

pub(super) const FORMAT: u32 = 1;

/// The state as of one version, for the state file.
pub(crate) struct Snapshot {
    pub(super) version: u64,
    pub(super) next_index: u64,
    pub(super) records: Vec<Arc<Record>>,
}

impl Snapshot {
    /// The store version it holds.
    pub(crate) fn version(&self) -> u64 {
        self.version
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
        }
        serde_json::to_vec(&Out {
            format: FORMAT,
            seed,
            next_index: self.next_index,
            records: Records(&self.records),
        })
        .expect("the state always serialises")
    }
}
