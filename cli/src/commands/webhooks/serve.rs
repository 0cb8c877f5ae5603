//! `webhooks serve`: verify, answer fast, queue, read the alerts in the background, print
//! each once.

use std::collections::{HashSet, VecDeque};
use std::hash::Hash;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use clap::Args;
use partner_alerts::AlertSource;
use partner_alerts::watch::WatchEvent;
use partner_alerts::webhooks::{Verifier, WebhookEvent};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::read_certificates;
use crate::connect::Session;
use crate::exit::{Failure, Outcome};

/// How many event keys and printed alerts are remembered, to drop repeats.
const REMEMBERED: usize = 100_000;

/// `webhooks serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The address to listen on (plain HTTP: put TLS in front, as Partner Center calls
    /// https:// URLs). Port 0 picks one; the address is printed on standard error.
    #[arg(long, value_name = "ADDR")]
    pub listen: SocketAddr,
    /// How many verified events may wait to be read; beyond, callbacks are answered 503.
    #[arg(long, value_name = "N", default_value_t = 1024,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub queue: u32,
    /// A host the signing certificate may be downloaded from (repeat; replaces the
    /// documented host).
    #[arg(long = "cert-host", value_name = "HOST")]
    pub cert_hosts: Vec<String>,
    /// Trust only these roots (PEM or DER files; repeat) instead of Mozilla's.
    #[arg(long = "root", value_name = "FILE")]
    pub roots: Vec<PathBuf>,
    /// Intermediate certificates (PEM or DER files; repeat) to build the chain with.
    #[arg(long = "intermediate", value_name = "FILE")]
    pub intermediates: Vec<PathBuf>,
    /// Refuse events whose ResourceChangeUtcDate is older than this (e.g. 1h): a replay
    /// hint; off by default.
    #[arg(long, value_name = "DURATION")]
    pub max_age: Option<String>,
    /// Remember across restarts which events were accepted and which alert states printed:
    /// read at start, written when stopped with SIGTERM or Ctrl-C (killed, an event may be
    /// printed again).
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// For tests only: accept a certificate URL on http:// when its host is loopback.
    #[arg(long, hide = true)]
    pub allow_http_loopback: bool,
}

/// Remembers the last `cap` items.
struct Recent<T> {
    set: HashSet<T>,
    order: VecDeque<T>,
    cap: usize,
}

impl<T: Hash + Eq + Clone> Recent<T> {
    fn new(cap: usize) -> Self {
        Recent {
            set: HashSet::new(),
            order: VecDeque::new(),
            cap,
        }
    }

    fn contains(&self, t: &T) -> bool {
        self.set.contains(t)
    }

    /// The items, oldest first.
    fn items(&self) -> impl Iterator<Item = &T> {
        self.order.iter()
    }

    /// Adds `t`; false when it was there.
    fn insert(&mut self, t: T) -> bool {
        if !self.set.insert(t.clone()) {
            return false;
        }
        self.order.push_back(t);
        if self.order.len() > self.cap
            && let Some(old) = self.order.pop_front()
        {
            self.set.remove(&old);
        }
        true
    }
}

struct Receiver {
    verifier: Verifier,
    queue: mpsc::Sender<WebhookEvent>,
    accepted: Arc<Mutex<Recent<String>>>,
}

/// What `--state` keeps: the event keys accepted and the alert states printed, oldest first.
#[derive(Default, Serialize, Deserialize)]
struct Remembered {
    version: u32,
    events: Vec<String>,
    printed: Vec<String>,
}

/// The state file's format.
const STATE_VERSION: u32 = 1;

fn recent(items: Vec<String>) -> Recent<String> {
    let mut r = Recent::new(REMEMBERED);
    for item in items {
        r.insert(item);
    }
    r
}

/// The state at `path`: none when there is no file yet; a usage error when it cannot be read.
fn load_state(path: &Path) -> Outcome<Remembered> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Remembered::default()),
        Err(e) => return Err(Failure::Usage(format!("--state {}: {e}", path.display()))),
    };
    let state: Remembered = serde_json::from_slice(&bytes).map_err(|e| {
        Failure::Usage(format!(
            "--state {}: not a state file of this command ({e})",
            path.display()
        ))
    })?;
    if state.version != STATE_VERSION {
        return Err(Failure::Usage(format!(
            "--state {}: format {} is not {STATE_VERSION}",
            path.display(),
            state.version
        )));
    }
    Ok(state)
}

/// Writes the state to `path` whole or not at all (a file beside it, then renamed).
fn save_state(path: &Path, accepted: &Recent<String>, printed: &Recent<String>) -> Outcome {
    let state = Remembered {
        version: STATE_VERSION,
        events: accepted.items().cloned().collect(),
        printed: printed.items().cloned().collect(),
    };
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let write = || -> std::io::Result<()> {
        std::fs::write(&tmp, serde_json::to_vec(&state)?)?;
        std::fs::rename(&tmp, path)
    };
    write().map_err(|e| Failure::Error(format!("--state {}: {e}", path.display())))
}

pub async fn run(session: &Session, args: &ServeArgs) -> Outcome {
    if session.multi {
        return Err(Failure::Usage(
            "webhooks serve reads one tenant: use --source and --base-url, not --tenants".into(),
        ));
    }
    let source = session
        .tenants
        .names()
        .next()
        .and_then(|n| session.tenants.source(n))
        .cloned()
        .ok_or_else(|| Failure::Usage("no source to read alerts from".into()))?;
    let verifier = verifier(session, args)?;
    let remembered = match &args.state {
        Some(path) => load_state(path)?,
        None => Remembered::default(),
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| Failure::Error(format!("cannot listen on {}: {e}", args.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Failure::Error(e.to_string()))?;
    eprintln!("partner-alerts: listening on http://{addr}");

    let (tx, rx) = mpsc::channel(args.queue as usize);
    let accepted = Arc::new(Mutex::new(recent(remembered.events)));
    let receiver = Arc::new(Receiver {
        verifier,
        queue: tx,
        accepted: accepted.clone(),
    });
    let worker = tokio::spawn(work(rx, source, recent(remembered.printed)));
    let app = axum::Router::new()
        .route("/", axum::routing::post(callback))
        .route("/{*path}", axum::routing::post(callback))
        .with_state(receiver);
    axum::serve(listener, app)
        .with_graceful_shutdown(stopped())
        .await
        .map_err(|e| Failure::Error(format!("the receiver stopped: {e}")))?;
    // The router (and with it the queue's sender) is gone: the worker drains what was
    // accepted, then ends.
    let printed = worker
        .await
        .map_err(|e| Failure::Error(format!("the alerts' reader stopped: {e}")))?;
    if let Some(path) = &args.state {
        let accepted = accepted.lock().unwrap_or_else(|e| e.into_inner());
        save_state(path, &accepted, &printed)?;
        eprintln!("partner-alerts: state saved to {}", path.display());
    }
    Ok(())
}

/// Ctrl-C or SIGTERM.
async fn stopped() {
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

fn verifier(session: &Session, args: &ServeArgs) -> Outcome<Verifier> {
    let mut b = Verifier::builder();
    if let Some(emu) = session.emulator() {
        // The emulator signs with its own test CA and serves the certificate on loopback.
        b = b
            .allowed_hosts(["127.0.0.1"])
            .roots_der([emu.webhook_ca_der()])
            .allow_http_on_loopback(true);
    }
    if !args.cert_hosts.is_empty() {
        b = b.allowed_hosts(args.cert_hosts.iter().cloned());
    }
    if !args.roots.is_empty() {
        let mut roots = Vec::new();
        for path in &args.roots {
            roots.extend(read_certificates(path)?);
        }
        b = b.roots_der(roots);
    }
    for path in &args.intermediates {
        for der in read_certificates(path)? {
            b = b.intermediate_der(der);
        }
    }
    if let Some(text) = &args.max_age {
        let age = crate::duration::parse(text)
            .ok()
            .and_then(|d| d.to_std().ok())
            .ok_or_else(|| Failure::Usage(format!("--max-age {text:?} is not a duration")))?;
        b = b.max_age(Some(age));
    }
    if args.allow_http_loopback {
        b = b.allow_http_on_loopback(true);
    }
    Ok(b.build()?)
}

/// One callback: verified, then answered at once (200 queued or a repeat, 503 queue full,
/// the verifier's status when refused).
async fn callback(State(r): State<Arc<Receiver>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let event = match r.verifier.verify(&headers, &body).await {
        Ok(event) => event,
        Err(e) => {
            eprintln!("partner-alerts: refused a callback: {e}");
            return StatusCode::from_u16(e.status_code()).unwrap_or(StatusCode::UNAUTHORIZED);
        }
    };
    if event.is_test() {
        eprintln!("partner-alerts: test event received and verified");
        return StatusCode::OK;
    }
    let key = event.dedup_key();
    let mut accepted = r.accepted.lock().unwrap_or_else(|e| e.into_inner());
    if accepted.contains(&key) {
        // Partner Center delivered it again (an answer was lost): done already.
        return StatusCode::OK;
    }
    match r.queue.try_send(event) {
        Ok(()) => {
            accepted.insert(key);
            StatusCode::OK
        }
        // Never a silent drop: Partner Center delivers again later.
        Err(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// The waits before reading an event's alerts again.
const FETCH_RETRIES: &[std::time::Duration] = &[
    std::time::Duration::from_secs(2),
    std::time::Duration::from_secs(8),
    std::time::Duration::from_secs(20),
    std::time::Duration::from_secs(30),
];

/// Reads the alerts of each queued event and prints each alert state once (`printed`: the
/// states printed before); returns what it printed, when the queue is closed and drained.
async fn work(
    mut rx: mpsc::Receiver<WebhookEvent>,
    source: Arc<dyn AlertSource>,
    mut printed: Recent<String>,
) -> Recent<String> {
    while let Some(event) = rx.recv().await {
        // The callback was answered 2xx, so Partner Center will not deliver it again: a
        // failing read is tried again (the client has retried each request already) for
        // about a minute before it is given up, loudly, with the URI to read by hand.
        let mut result = event.fetch_alerts(source.as_ref()).await;
        for wait in FETCH_RETRIES {
            match &result {
                Err(e) if e.is_retryable() => {
                    eprintln!(
                        "partner-alerts: reading the alerts of {:?} failed ({e}); trying again in {}s",
                        event.resource_uri,
                        wait.as_secs()
                    );
                    tokio::time::sleep(*wait).await;
                    result = event.fetch_alerts(source.as_ref()).await;
                }
                _ => break,
            }
        }
        match result {
            Ok(alerts) => {
                let mut out = std::io::stdout().lock();
                for alert in alerts {
                    let e = WatchEvent::new_alert(alert);
                    if !printed.insert(e.key.to_string()) {
                        continue;
                    }
                    if let Ok(line) = serde_json::to_string(&e) {
                        let _ = writeln!(out, "{line}");
                    }
                }
                let _ = out.flush();
            }
            Err(e) => eprintln!(
                "partner-alerts: error: reading the alerts of {:?} failed, given up: {e}; read them with `partner-alerts list --subscription ...`",
                event.resource_uri
            ),
        }
    }
    printed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_round_trips_oldest_first_and_a_bad_file_is_a_usage_error() {
        let dir = std::env::temp_dir().join(format!("pa-serve-state-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("state.json");
        assert!(load_state(&path).unwrap().events.is_empty(), "no file yet");
        let accepted = recent(vec!["e1".into(), "e2".into()]);
        let printed = recent(vec!["a@1".into()]);
        save_state(&path, &accepted, &printed).unwrap();
        let back = load_state(&path).unwrap();
        assert_eq!(back.events, ["e1", "e2"]);
        assert_eq!(back.printed, ["a@1"]);
        assert!(!dir.join("state.json.tmp").exists());
        for bad in [
            &b"{not json"[..],
            br#"{"version": 2, "events": [], "printed": []}"#,
        ] {
            std::fs::write(&path, bad).unwrap();
            assert!(matches!(load_state(&path), Err(Failure::Usage(_))));
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn recent_forgets_the_oldest_past_its_cap() {
        let mut r = Recent::new(2);
        assert!(r.insert(1) && r.insert(2) && !r.insert(2) && r.insert(3));
        assert_eq!(r.items().copied().collect::<Vec<_>>(), [2, 3]);
        assert!(!r.contains(&1));
    }
}
