//! Watches for new and changed alerts for a few polls, keeping its checkpoint in a file, and
//! stops gracefully (run it again with credentials and it goes on where it stopped).
//!
//! ```text
//! cargo run --example watch                          # the bundled emulator, a few seconds
//! PARTNER_ALERTS_TOKEN=... cargo run --example watch # Microsoft Graph, three polls a minute apart
//! ```

mod common;

use std::sync::Arc;
use std::time::Duration;

use partner_alerts::auth::StaticToken;
use partner_alerts::watch::{EventKind, FileCheckpointStore, Watcher};
use partner_alerts::{AlertSource, AlertStatus, GraphClient, SourceKind};
use partner_alerts_emulator::Emulator;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::temp_dir().join("partner-alerts-watch-example.checkpoint");
    let mut emulator = None;
    let (source, interval): (Arc<dyn AlertSource>, _) = match common::credential(SourceKind::Graph)?
    {
        Some(credential) => {
            let client = GraphClient::builder().credential(credential).build()?;
            (Arc::new(client), Duration::from_secs(60))
        }
        None => {
            let emu = Emulator::builder().alerts(12).seed(7).start().await?;
            eprintln!(
                "no credentials: watching the emulator at {}",
                emu.graph_base_url()
            );
            let client = GraphClient::builder()
                .base_url(emu.graph_base_url())
                .credential(StaticToken::new("emulator"))
                .build()?;
            // A fresh emulator each run: start from a fresh checkpoint too.
            let _ = std::fs::remove_file(&path);
            emulator = Some(emu);
            (Arc::new(client), Duration::from_millis(200))
        }
    };

    eprintln!("checkpoint: {}", path.display());
    let mut watcher = Watcher::builder(source)
        .store(Arc::new(FileCheckpointStore::new(&path)))
        .interval(interval)
        .start()
        .await?;

    for round in 1..=3 {
        if let Some(emu) = &emulator {
            // Something happens between polls: an alert is raised, another investigated.
            emu.raise_alert();
            if let Some(a) = emu
                .alerts()
                .into_iter()
                .find(|a| a.status == Some(AlertStatus::Active))
            {
                emu.update_alert(&a.id, |a| a.status = Some(AlertStatus::Investigating));
            }
        }
        eprintln!("-- round {round}");
        // next_event waits for the next poll that has something to say; stop waiting after
        // a quiet interval (it is cancel safe: nothing is lost by the timeout).
        while let Ok(event) =
            tokio::time::timeout(interval + Duration::from_secs(1), watcher.next_event()).await
        {
            let event = event?;
            let a = &event.alert;
            match event.kind {
                EventKind::New => println!(
                    "new      {} {} {} {}",
                    event.key,
                    a.status.as_ref().map_or("-", |s| s.as_str()),
                    a.severity.as_ref().map_or("-", |s| s.as_str()),
                    a.display_name.as_deref().unwrap_or("-"),
                ),
                _ => println!(
                    "changed  {} {} -> {} ({})",
                    event.key,
                    event
                        .previous
                        .as_ref()
                        .and_then(|p| p.status.as_ref())
                        .map_or("-", |s| s.as_str()),
                    a.status.as_ref().map_or("-", |s| s.as_str()),
                    event
                        .changes
                        .iter()
                        .map(|c| c.name())
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
            }
        }
    }

    let stats = watcher.stats();
    watcher.close().await?;
    eprintln!(
        "{} polls, {} events, {} alerts tracked; closed (the checkpoint holds what was delivered)",
        stats.polls, stats.events, stats.tracked
    );
    if let Some(emu) = emulator {
        emu.shutdown().await;
    }
    Ok(())
}
