//! `partner-alerts-emulator`: runs the emulator until Ctrl-C.
//!
//! Prints the Graph base URL and then the Partner Center base URL on standard output, one per
//! line, so scripts can read them; everything else goes to standard error.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use chrono::{DateTime, Utc};
use clap::Parser;
use partner_alerts_emulator::{Emulator, FaultKind, FaultSettings, Quirks};

/// A local emulator of the Microsoft Graph partner security alerts API and the Partner Center
/// FraudEvents API, on 127.0.0.1.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// The port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,

    /// How many alerts to generate (ignored when the state file exists).
    #[arg(long, default_value_t = partner_alerts_emulator::DEFAULT_ALERTS)]
    alerts: usize,

    /// The seed of the generated data and of the fault draws.
    #[arg(long, default_value_t = 1)]
    seed: u64,

    /// Keep the state in this JSON file: loaded if it exists, rewritten after changes.
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,

    /// The most alerts a Graph page holds.
    #[arg(long, value_name = "N", default_value_t = partner_alerts_emulator::DEFAULT_PAGE_SIZE)]
    page_size: usize,

    /// Raise a fresh alert every this many seconds (fractions allowed).
    #[arg(long, value_name = "SECONDS", value_parser = positive_seconds)]
    new_alert_every: Option<Duration>,

    /// Change an existing alert every this many seconds (fractions allowed), chosen from the
    /// seed: mostly an active alert investigated or resolved, an investigating one resolved
    /// (by colleague@contoso.example); sometimes a later lastObservedDateTime or another
    /// severity. Runs on the wall clock; a fixed --now only stamps the changes.
    #[arg(long, value_name = "SECONDS", value_parser = positive_seconds)]
    change_status_every: Option<Duration>,

    /// Fix the clock at this RFC 3339 instant (default: the system clock).
    #[arg(long, value_name = "RFC3339")]
    now: Option<DateTime<Utc>>,

    /// Seconds (fractions allowed) from an accepted cancel or reactivate of an Azure
    /// subscription (Partner Center's .../azureEntitlements/{id}/cancel and /reactivate)
    /// until its status changes; Partner Center says about 600. Runs on the emulator's
    /// clock: with a fixed --now it never passes.
    #[arg(long, value_name = "SECONDS", default_value = "0", value_parser = seconds)]
    entitlement_delay: Duration,

    /// The share of requests that fault, from 0 to 1.
    #[arg(long, value_name = "SHARE", default_value_t = 0.0)]
    fault_rate: f64,

    /// The faults drawn from: throttle (429), 500, 503, drop (closed, not processed),
    /// truncate (processed, answer cut), drop-after (processed, closed without an answer),
    /// throttle-item (429 for requests inside a $batch only). Throttle, 500 and 503 also hit
    /// requests inside a $batch.
    #[arg(
        long,
        value_name = "KINDS",
        value_delimiter = ',',
        default_value = "throttle,500,503"
    )]
    faults: Vec<FaultKind>,

    /// The Retry-After of 429 and 503 answers, in seconds (fractions allowed, e.g. 0.2).
    #[arg(long, value_name = "SECONDS", default_value = "1", value_parser = seconds)]
    retry_after: Duration,

    /// Latency added to every request, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    latency_ms: u64,

    /// The seed of the fault draws (default: --seed).
    #[arg(long)]
    fault_seed: Option<u64>,

    /// Deterministic misbehaviours, comma-separated (default: none):
    /// odd-values (each served alert carries one odd value);
    /// not-alerts-every=N (an item that is no alert after every N-th alert of a list);
    /// resolve-served=N (the alerts of the next N list pages are then resolved by a colleague);
    /// page-cap=N (at most N alerts or events per page, whatever is asked);
    /// foreign-next-link (Graph page 1 links to another host);
    /// repeated-next-link (Graph page 2 links to itself);
    /// empty-page-after=K (an empty Graph page after page K);
    /// applied-then-500=N (the next N writes are applied, then answered with a 500);
    /// shuffled-batch ($batch responses in another order than requested).
    /// Example: --quirks odd-values,page-cap=100,resolve-served=1
    #[arg(long, value_name = "LIST", verbatim_doc_comment)]
    quirks: Option<Quirks>,
}

fn seconds(s: &str) -> Result<Duration, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a number of seconds"))?;
    Duration::try_from_secs_f64(v).map_err(|_| format!("'{s}' is not a valid duration"))
}

fn positive_seconds(s: &str) -> Result<Duration, String> {
    let d = seconds(s)?;
    if d.is_zero() {
        return Err("the interval must be more than 0 seconds".to_owned());
    }
    Ok(d)
}

/// Runs `f` every `period` (the first time one period from now), forever; never when there
/// is no period.
async fn every(period: Option<Duration>, mut f: impl FnMut()) {
    let Some(period) = period else {
        return std::future::pending().await;
    };
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tick.tick().await;
        f();
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let mut faults = FaultSettings::new()
        .rate(args.fault_rate)
        .kinds(args.faults.iter().copied())
        .retry_after(args.retry_after)
        .latency(Duration::from_millis(args.latency_ms));
    if let Some(seed) = args.fault_seed {
        faults = faults.seed(seed);
    }
    let mut builder = Emulator::builder()
        .port(args.port)
        .alerts(args.alerts)
        .seed(args.seed)
        .page_size(args.page_size)
        .faults(faults)
        .quirks(args.quirks.clone().unwrap_or_default())
        .entitlement_delay(args.entitlement_delay);
    if let Some(path) = &args.state {
        builder = builder.state_file(path);
    }
    if let Some(now) = args.now {
        builder = builder.now(now);
    }
    let emulator = match builder.start().await {
        Ok(e) => e,
        Err(e) => {
            eprintln!("partner-alerts-emulator: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("{}", emulator.graph_base_url());
    println!("{}", emulator.partner_center_base_url());
    eprintln!(
        "partner-alerts-emulator: {} alerts; Graph at {}, Partner Center at {}; \
         send any bearer token; Ctrl-C stops",
        emulator.alert_count(),
        emulator.graph_base_url(),
        emulator.partner_center_base_url()
    );

    // Scheduled here rather than through the builder, to report each event.
    let raising = every(args.new_alert_every, || {
        let alert = emulator.raise_alert();
        eprintln!("partner-alerts-emulator: raised alert {}", alert.id);
    });
    let changing = every(args.change_status_every, || {
        if let Some(alert) = emulator.change_random_alert() {
            eprintln!(
                "partner-alerts-emulator: changed alert {}: status {}, severity {}",
                alert.id,
                alert.status.as_ref().map_or("none", |s| s.as_str()),
                alert.severity.as_ref().map_or("none", |s| s.as_str()),
            );
        }
    });
    tokio::select! {
        _ = raising => {}
        _ = changing => {}
        r = tokio::signal::ctrl_c() => {
            if let Err(e) = r {
                eprintln!("partner-alerts-emulator: cannot listen for Ctrl-C: {e}");
            }
        }
    }
    eprintln!("partner-alerts-emulator: stopping");
    emulator.shutdown().await;
    ExitCode::SUCCESS
}
