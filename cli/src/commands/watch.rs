//! `partner-alerts watch`: new and changed alerts as they happen, one line or one JSON object
//! each, flushed at once; restart-safe through a checkpoint; SIGTERM and Ctrl-C stop it
//! cleanly (the checkpoint saved, exit 0).

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use partner_alerts::watch::{
    EventKind, FileCheckpointStore, FirstRun, WatchError, WatchEvent, Watcher,
};
use partner_alerts::{AlertSource, Error};
use tokio::sync::{mpsc, watch};

use crate::cli::{WatchArgs, WatchFormat};
use crate::connect::Session;
use crate::exit::{Failure, Outcome};

/// What a tenant's watcher hands the printer.
enum Item {
    Event(Arc<str>, Box<WatchEvent>),
    /// An error someone must act on; the watcher goes on after its backoff unless `fatal`.
    Error(Arc<str>, WatchError, bool),
}

pub async fn run(session: &Session, args: &WatchArgs, json: bool) -> Outcome {
    let format = if json {
        WatchFormat::Jsonl
    } else {
        args.format
    };
    let interval = args
        .interval
        .to_std()
        .map_err(|_| Failure::Usage("--interval must be positive".into()))?;
    let first_run = if args.from_now {
        FirstRun::Since(chrono::Utc::now())
    } else {
        FirstRun::OpenAlerts
    };
    // One checkpoint per tenant: the file itself, or a file per tenant in a directory.
    let paths: Vec<(Arc<str>, PathBuf)> = if session.multi {
        std::fs::create_dir_all(&args.checkpoint).map_err(|e| {
            Failure::Usage(format!(
                "--checkpoint {}: with --tenants it is a directory: {e}",
                args.checkpoint.display()
            ))
        })?;
        session
            .tenants
            .names()
            .map(|n| {
                (
                    Arc::from(n),
                    args.checkpoint.join(format!("{n}.checkpoint")),
                )
            })
            .collect()
    } else {
        let name = session.tenants.names().next().expect("one tenant");
        vec![(Arc::from(name), args.checkpoint.clone())]
    };

    let mut watchers = Vec::new();
    for (tenant, path) in &paths {
        let source: Arc<dyn AlertSource> = session
            .tenants
            .source(tenant)
            .expect("a named tenant")
            .clone();
        let watcher = Watcher::builder(source)
            .store(Arc::new(FileCheckpointStore::new(path)))
            .interval(interval)
            .first_run(first_run.clone())
            .start()
            .await
            .map_err(|e| start_failure(session, tenant, path, &e))?;
        watchers.push((tenant.clone(), watcher));
    }

    let (stop_tx, stop_rx) = watch::channel(false);
    let (tx, mut rx) = mpsc::channel::<Item>(64);
    let mut tasks = Vec::new();
    for (tenant, watcher) in watchers {
        tasks.push(tokio::spawn(watch_tenant(
            tenant,
            watcher,
            tx.clone(),
            stop_rx.clone(),
        )));
    }
    drop(tx);

    let stop = async {
        wait_for_stop().await;
        let _ = stop_tx.send(true);
    };
    tokio::pin!(stop);
    let mut stopping = false;
    let mut fatal = 0usize;
    let mut out = io::stdout().lock();
    loop {
        tokio::select! {
            _ = &mut stop, if !stopping => {
                stopping = true;
                eprintln!("partner-alerts: stopping: saving the checkpoint");
            }
            // Every event a watcher returned is printed, also while stopping: the channel
            // closes once every watcher has closed.
            item = rx.recv() => match item {
                None => break,
                Some(Item::Event(tenant, event)) => {
                    print_event(&mut out, &tenant, &event, session.multi, format)?;
                }
                Some(Item::Error(tenant, e, is_fatal)) => {
                    fatal += usize::from(is_fatal);
                    let who = if session.multi { format!("tenant {tenant}: ") } else { String::new() };
                    let then = if is_fatal { "stopped" } else { "retrying after a backoff" };
                    eprintln!("partner-alerts: {who}{} ({then})", describe(&e));
                }
            },
        }
    }
    let mut closing = Vec::new();
    for task in tasks {
        match task.await {
            Ok(Err(e)) => closing.push(describe(&e)),
            Ok(Ok(())) => {}
            Err(e) => closing.push(e.to_string()),
        }
    }
    for e in &closing {
        eprintln!("partner-alerts: saving the checkpoint failed: {e}");
    }
    if !closing.is_empty() || fatal == paths.len() {
        return Err(Failure::Error("the watch ended with errors".into()));
    }
    if fatal > 0 {
        return Err(Failure::Partial(format!(
            "{fatal} of {} tenants stopped",
            paths.len()
        )));
    }
    Ok(())
}

/// One tenant's watcher, until told to stop or an error ends it; then closed gracefully.
async fn watch_tenant(
    tenant: Arc<str>,
    mut watcher: Watcher,
    tx: mpsc::Sender<Item>,
    mut stop: watch::Receiver<bool>,
) -> Result<(), WatchError> {
    loop {
        tokio::select! {
            biased;
            // The guard `wait_for` returns is not `Send`: drop it at once.
            _ = async { stop.wait_for(|s| *s).await.map(|_| ()) } => break,
            // Cancel safe: a poll cut short by the stop resumes or is repeated, never lost.
            event = watcher.next_event() => match event {
                Ok(e) => {
                    if tx.send(Item::Event(tenant.clone(), Box::new(e))).await.is_err() {
                        break;
                    }
                }
                Err(e) => {
                    let fatal = is_fatal(&e);
                    let _ = tx.send(Item::Error(tenant.clone(), e, fatal)).await;
                    if fatal {
                        break;
                    }
                }
            }
        }
    }
    watcher.close().await
}

/// Errors the watcher would only repeat: another watcher took over the checkpoint, the
/// checkpoint is unreadable, or the source refuses the query. Credentials may be fixed
/// while it waits, so those are retried.
fn is_fatal(e: &WatchError) -> bool {
    e.is_conflict()
        || e.checkpoint_error().is_some()
        || e.source_error()
            .is_some_and(|e| matches!(e, Error::InvalidInput(_) | Error::Unsupported(_)))
}

fn start_failure(session: &Session, tenant: &str, path: &Path, e: &WatchError) -> Failure {
    let who = if session.multi {
        format!("tenant {tenant}: ")
    } else {
        String::new()
    };
    let message = format!("{who}checkpoint {}: {}", path.display(), describe(e));
    match e.source_error().map(Failure::from_library) {
        Some(Failure::Error(_)) => Failure::Error(message),
        _ => Failure::Usage(message),
    }
}

fn describe(e: &WatchError) -> String {
    match e.source_error().and_then(Error::request_id) {
        Some(id) => format!("{e} (request id {id})"),
        None => e.to_string(),
    }
}

/// SIGTERM or Ctrl-C.
async fn wait_for_stop() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

fn print_event(
    out: &mut impl Write,
    tenant: &str,
    event: &WatchEvent,
    multi: bool,
    format: WatchFormat,
) -> io::Result<()> {
    match format {
        WatchFormat::Jsonl => {
            let mut v = serde_json::to_value(event).map_err(io::Error::from)?;
            if multi && let Some(map) = v.as_object_mut() {
                map.insert("partnerTenant".into(), tenant.into());
            }
            serde_json::to_writer(&mut *out, &v).map_err(io::Error::from)?;
            writeln!(out)?;
        }
        WatchFormat::Line => {
            let a = &event.alert;
            let when = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            let who = if multi {
                format!("{tenant} ")
            } else {
                String::new()
            };
            match event.kind {
                EventKind::New => writeln!(
                    out,
                    "{when} new     {who}{} {} {} {}",
                    a.id,
                    a.severity.as_ref().map_or("-", |s| s.as_str()),
                    a.status.as_ref().map_or("-", |s| s.as_str()),
                    a.display_name.as_deref().unwrap_or("-"),
                )?,
                _ => {
                    let before = event
                        .previous
                        .as_ref()
                        .and_then(|p| serde_json::to_value(p).ok())
                        .unwrap_or_default();
                    let after = serde_json::to_value(event.current()).unwrap_or_default();
                    let show = |v: &serde_json::Value| match v {
                        serde_json::Value::String(s) => s.clone(),
                        serde_json::Value::Null => "-".into(),
                        other => other.to_string(),
                    };
                    let changes: Vec<String> = event
                        .changes
                        .iter()
                        .map(|c| {
                            format!(
                                "{c}: {} -> {}",
                                show(&before[c.name()]),
                                show(&after[c.name()])
                            )
                        })
                        .collect();
                    writeln!(out, "{when} changed {who}{} {}", a.id, changes.join("; "))?;
                }
            }
        }
    }
    out.flush()
}
